import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { Authorizer, parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { parseStart } from "../../src/core/commands/recovery-parse.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import { isClawopsError } from "../../src/core/errors.ts";
import { expireFreezes } from "../../src/core/freezes/freezes.ts";
import { nextScheduledMoment, resolveStart, sweepScheduledFreezes } from "../../src/core/freezes/schedule.ts";
import type { Message } from "../../src/core/messages/model.ts";
import type { ChatMessage } from "../../src/core/ports/chat.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { RecoveryStore } from "../../src/core/ports/recovery.ts";
import { SqliteRecoveryStore } from "../../src/node/recovery-store.ts";
import { testDeps } from "../support/harness.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * Scheduled maintenance freezes with a fake clock: the grammar, which 14:00 is meant, and the
 * moments each announcement goes out (set, 15 min before, start, end), each once, with a sweep
 * running every few seconds as the Node timer and the directory alarm do.
 */
const T0 = Date.UTC(2026, 10, 24, 13, 20); // 13:20 UTC
const MIN = 60_000;
const ANNOUNCE = "C0ANNOUNCE";

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (isClawopsError(err)) return err.message;
    throw err;
  }
  throw new Error("accepted");
};

describe("scheduled freeze grammar", () => {
  it("parses at HH:MM or an ISO date-time, with or without a duration, in either order", () => {
    expect(parseCommand("freeze node-3 at 14:00 for 30m kernel upgrade")).toEqual({
      kind: "schedule",
      target: "node-3",
      at: { kind: "time", hour: 14, minute: 0 },
      durationMs: 30 * MIN,
      reason: "kernel upgrade",
    });
    expect(parseCommand("freeze all for 2h at 2026-11-25T06:30Z fleet upgrade")).toMatchObject({
      kind: "schedule",
      target: "all",
      at: { kind: "instant", ms: Date.UTC(2026, 10, 25, 6, 30) },
      durationMs: 120 * MIN,
    });
    expect(parseCommand("freeze node-3 at 9:05 UTC db work")).toMatchObject({
      at: { kind: "time", hour: 9, minute: 5 },
      durationMs: 30 * MIN,
      reason: "db work",
    });
    // Without a zone an ISO date-time is UTC; an offset is honoured.
    expect(parseStart("2026-11-25T06:30")).toEqual({ kind: "instant", ms: Date.UTC(2026, 10, 25, 6, 30) });
    expect(parseStart("2026-11-25T08:30+02:00")).toEqual({ kind: "instant", ms: Date.UTC(2026, 10, 25, 6, 30) });
    expect(parseCommand("freeze node-3 extend 30m")).toEqual({
      kind: "extend",
      target: "node-3",
      durationMs: 30 * MIN,
    });
    expect(refusal(() => parseCommand("freeze node-3 at 25:00 x"))).toContain("is not a start time");
    expect(refusal(() => parseCommand("freeze node-3 at 2pm x"))).toContain("`14:00` (the next 14:00 UTC)");
    // "at" before a word that is no time is part of the reason, as before scheduling existed.
    expect(parseCommand("freeze node-3 at risk of flapping")).toMatchObject({
      kind: "freeze",
      reason: "at risk of flapping",
    });
    expect(refusal(() => parseCommand("freeze node-3 at 14:00 for 30m"))).toContain("needs a reason");
    expect(refusal(() => parseCommand("freeze node-3 extend"))).toContain("extend <30m|2h>");
    expect(refusal(() => parseCommand("freeze node-3 extend 30m please"))).toContain("extend <30m|2h>");
  });

  it("14:00 is the next 14:00 UTC: today when still ahead, else tomorrow", () => {
    const at = { kind: "time", hour: 14, minute: 0 } as const;
    expect(resolveStart(at, T0)).toBe(Date.UTC(2026, 10, 24, 14, 0));
    expect(resolveStart(at, Date.UTC(2026, 10, 24, 14, 0))).toBe(Date.UTC(2026, 10, 25, 14, 0));
    expect(resolveStart(at, Date.UTC(2026, 10, 24, 23, 59))).toBe(Date.UTC(2026, 10, 25, 14, 0));
    expect(resolveStart({ kind: "time", hour: 0, minute: 0 }, Date.UTC(2026, 11, 31, 22))).toBe(
      Date.UTC(2027, 0, 1, 0, 0),
    );
  });
});

async function setup(store: RecoveryStore) {
  let now = T0;
  const posted: (ChatMessage & { at: number })[] = [];
  const hosts = new InMemoryStore();
  await hosts.insertHost({
    name: "node-3",
    publicKey: "k",
    enrolledAt: 0,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
  });
  const deps: CoreDeps = testDeps({
    store: hosts,
    chat: {
      async postMessage(m) {
        posted.push({ ...m, at: now });
        return { ts: `${1_790_000_000 + posted.length}.000100` };
      },
      async updateMessage() {},
    },
    clock: { now: () => now },
    ids: { id: (p) => `${p}_${now}_${posted.length}` },
    recovery: {
      store,
      authz: new Authorizer(
        parseAuthzConfig(
          {
            incidentLeads: { users: ["U0LEAD"] },
            actions: { freeze: { users: ["U0OPS", "U0OTHER"] }, unfreeze: { users: ["U0OPS", "U0OTHER"] } },
          },
          "authz",
        ),
      ),
      announceChannels: [ANNOUNCE],
      decisions: new DecisionBus(),
    },
  });
  const command = async (text: string, user = "U0OPS") => {
    const reply = await handleCommand(deps as CoreDeps, {
      text,
      user,
      channel: "C0OPS",
      requestKey: `r-${text}-${user}-${now}`,
      source: "slack",
    });
    await reply.later?.();
    return reply;
  };
  /** Runs the sweep every 5 s until `until`, as the Node timer does. */
  const runUntil = async (until: number) => {
    while (now < until) {
      now = Math.min(until, now + 5_000);
      await sweepScheduledFreezes(deps, now);
      await expireFreezes(deps, now);
    }
  };
  return { deps, posted, command, runUntil, now: () => now };
}

const textOf = (m: Message) => [m.text, ...m.parts.map((p) => ("text" in p ? String(p.text) : ""))].join("\n");
const heading = (m: Message) => textOf(m).split("\n")[0] ?? "";

describe.each([
  ["memory", () => new InMemoryRecoveryStore()],
  ["sqlite", () => new SqliteRecoveryStore(new DatabaseSync(":memory:"))],
] as [string, () => RecoveryStore][])("scheduled freezes (%s store)", (_name, makeStore) => {
  it("announces when set, 15 min before, at the start and at the end, each once, in the channel and the announcement channel", async () => {
    const store = makeStore();
    const t = await setup(store);
    const reply = await t.command("freeze node-3 at 14:00 for 30m kernel upgrade");
    expect(textOf(reply.ack)).toContain("from 2026-11-24 14:00 UTC to 2026-11-24 14:30 UTC");
    expect(textOf(reply.ack)).toContain("announced now, 15 min before, at its start and at its end");
    await t.runUntil(Date.UTC(2026, 10, 24, 15, 0));
    const moments = t.posted.map((m) => [new Date(m.at).toISOString().slice(11, 19), m.channel, heading(m)]);
    expect(moments).toEqual([
      [
        "13:20:00",
        "C0OPS",
        "Maintenance freeze of node-3 scheduled 2026-11-24 14:00 UTC to 2026-11-24 14:30 UTC by U0OPS: kernel upgrade",
      ],
      ["13:20:00", ANNOUNCE, expect.stringContaining("Maintenance freeze of node-3 scheduled")],
      ["13:45:00", "C0OPS", "Maintenance freeze of node-3 starts at 2026-11-24 14:00 UTC (in 15 min)."],
      ["13:45:00", ANNOUNCE, expect.stringContaining("starts at 2026-11-24 14:00 UTC")],
      ["14:00:00", "C0OPS", "node-3 is frozen for maintenance until 2026-11-24 14:30 UTC by U0OPS: kernel upgrade"],
      ["14:00:00", ANNOUNCE, expect.stringContaining("frozen for maintenance")],
      ["14:30:00", "C0OPS", "Maintenance freeze of node-3 ended at 2026-11-24 14:30 UTC."],
      ["14:30:00", ANNOUNCE, expect.stringContaining("ended at")],
      // Every scheduled freeze is maintenance: its end says what it muted (issue 29).
      ["14:30:00", "C0OPS", "Maintenance of node-3 over: nothing muted"],
      ["14:30:00", ANNOUNCE, "Maintenance of node-3 over: nothing muted"],
    ]);
    expect(await store.listScheduledFreezes()).toEqual([]);
    expect(await store.listFreezes()).toEqual([]);
    const audit = (await store.listAudit({ host: "node-3" })).map((e) => e.action);
    expect(audit).toEqual(["command", "freeze.scheduled.start", "freeze.scheduled.end"]);
  });

  it("holds the host frozen during the window: other people's changes are refused", async () => {
    const store = makeStore();
    const t = await setup(store);
    await t.command("freeze node-3 at 14:00 for 30m kernel upgrade");
    await t.runUntil(Date.UTC(2026, 10, 24, 14, 1));
    expect(await store.getFreeze("node-3")).toMatchObject({
      owner: "U0OPS",
      expiresAt: Date.UTC(2026, 10, 24, 14, 30),
    });
    const refused = await t.command("freeze node-3 for 2h mine now", "U0OTHER");
    expect(refused.error?.code).toBe("host_frozen");
  });

  it("unfreeze before the start cancels it (and says so); the owner or a lead may, others may not", async () => {
    const store = makeStore();
    const t = await setup(store);
    await t.command("freeze node-3 at 14:00 for 30m kernel upgrade");
    expect((await t.command("unfreeze node-3", "U0OTHER")).error?.code).toBe("forbidden");
    await t.runUntil(Date.UTC(2026, 10, 24, 13, 50));
    const before = t.posted.length;
    const cancel = await t.command("unfreeze node-3");
    expect(textOf(cancel.ack)).toContain("Cancelled the maintenance freeze of *node-3* scheduled 2026-11-24 14:00 UTC");
    expect(textOf(cancel.ack)).toContain("nothing was frozen");
    expect(t.posted.slice(before).map((m) => [m.channel, heading(m)])).toEqual([
      ["C0OPS", expect.stringContaining("cancelled by U0OPS")],
      [ANNOUNCE, expect.stringContaining("cancelled by U0OPS")],
    ]);
    await t.runUntil(Date.UTC(2026, 10, 24, 15, 0));
    expect(t.posted).toHaveLength(before + 2);
    expect(await store.listFreezes()).toEqual([]);
    expect((await t.command("unfreeze node-3")).error?.code).toBe("not_frozen");
  });

  it("set within 15 min of its start: no separate warning; a start in the past is refused with the time now", async () => {
    const store = makeStore();
    const t = await setup(store);
    await t.command("freeze all at 13:30 for 10m quick swap");
    await t.runUntil(Date.UTC(2026, 10, 24, 13, 45));
    expect(t.posted.map((m) => heading(m))).toEqual([
      expect.stringContaining("Maintenance freeze of the fleet scheduled"),
      expect.stringContaining("Maintenance freeze of the fleet scheduled"),
      expect.stringContaining("The fleet is frozen for maintenance"),
      expect.stringContaining("The fleet is frozen for maintenance"),
      expect.stringContaining("Maintenance freeze of the fleet ended"),
      expect.stringContaining("Maintenance freeze of the fleet ended"),
      "Maintenance of the fleet over: nothing muted",
      "Maintenance of the fleet over: nothing muted",
    ]);
    const past = await t.command("freeze node-3 at 2026-11-24T13:00Z for 10m late");
    expect(past.error?.message).toContain("is not in the future (it is 2026-11-24 13:45 UTC now)");
  });

  it("the sweep's next moment is the warning, then the start, then the end", async () => {
    const store = makeStore();
    const t = await setup(store);
    await t.command("freeze node-3 at 14:00 for 30m kernel upgrade");
    const next = async () => nextScheduledMoment(await store.listScheduledFreezes(), 15 * MIN);
    expect(await next()).toBe(Date.UTC(2026, 10, 24, 13, 45));
    await t.runUntil(Date.UTC(2026, 10, 24, 13, 45));
    expect(await next()).toBe(Date.UTC(2026, 10, 24, 14, 0));
    await t.runUntil(Date.UTC(2026, 10, 24, 14, 0));
    expect(await next()).toBe(Date.UTC(2026, 10, 24, 14, 30));
    await t.runUntil(Date.UTC(2026, 10, 24, 14, 30));
    expect(await next()).toBeNull();
  });
});
