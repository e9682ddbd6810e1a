import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { Authorizer, parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import { AUTO_FREEZE_OWNER } from "../../src/core/freezes/auto-freeze.ts";
import { expireFreezes } from "../../src/core/freezes/freezes.ts";
import type { FreezeTransition, IncidentThreadRef } from "../../src/core/freezes/policy.ts";
import {
  applyFreezePolicy,
  type FreezePolicy,
  matchFreezeRule,
  parseFreezePolicy,
} from "../../src/core/freezes/policy.ts";
import type { Message } from "../../src/core/messages/model.ts";
import type { ChatMessage } from "../../src/core/ports/chat.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { SqliteRecoveryStore } from "../../src/node/recovery-store.ts";
import { testDeps } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * The freeze policy on the watch's transitions, with a fake clock: which transitions freeze a
 * host, where the notice goes, when the all-clear comes, and that a person's freeze is never
 * touched. The freezes live in real SQLite (the Node store).
 */
const T0 = Date.UTC(2026, 10, 24, 9, 0);
const INCIDENTS = "C0INCIDENT";
const ANNOUNCE = "C0ANNOUNCE";
const LEAD = "U0LEAD";
const MIN = 60_000;

const POLICY = parseFreezePolicy(
  {
    rules: [
      {
        name: "gateway down",
        findings: ["gateway-down", "gateway-stopped", "gateway-crash-loop"],
        hosts: ["node-*"],
        liftAfterHealthyMin: 5,
        maxFreezeMin: 120,
      },
      { name: "edge double gateway", findings: ["dual-gateway-process"], tags: ["edge"], liftAfterHealthyMin: 10 },
    ],
  },
  "policy.json",
);

interface Posted extends ChatMessage {
  ts: string;
}

async function setup(policy: FreezePolicy = POLICY) {
  let now = T0;
  const posted: Posted[] = [];
  const store = new InMemoryStore();
  for (const [name, tags] of [
    ["node-3", []],
    ["edge-1", ["edge"]],
    ["db-1", []],
  ] as const) {
    await store.insertHost({
      name,
      publicKey: "k",
      enrolledAt: T0 - 1000,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
      tags: [...tags],
    });
  }
  const recoveryStore = new SqliteRecoveryStore(new DatabaseSync(":memory:"));
  const deps: CoreDeps = testDeps({
    store,
    chat: {
      async postMessage(m) {
        const ts = `${1_790_000_000 + posted.length}.000100`;
        posted.push({ ...m, ts });
        return { ts };
      },
      async updateMessage() {},
    },
    clock: { now: () => now },
    ids: { id: (p) => `${p}_${posted.length}_${Math.random().toString(36).slice(2, 8)}` },
    incidents: { defaultChannel: INCIDENTS, rules: [] },
    recovery: {
      store: recoveryStore,
      authz: new Authorizer(
        parseAuthzConfig(
          {
            incidentLeads: { users: [LEAD] },
            actions: { freeze: { users: ["U0OPS"] }, unfreeze: { users: ["U0OPS"] } },
          },
          "authz",
        ),
      ),
      announceChannels: [ANNOUNCE],
      decisions: new DecisionBus(),
    },
  });
  const failing = (host: string, findingIds: string[], thread?: IncidentThreadRef) => ({
    host,
    at: now,
    since: now - 30_000,
    healthy: false,
    findingIds,
    thread: thread ?? null,
  });
  const healthy = (host: string, since = now - 30_000) => ({
    host,
    at: now,
    since,
    healthy: true,
    findingIds: [],
  });
  const command = async (text: string, user: string) => {
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
  return {
    deps,
    posted,
    recoveryStore,
    failing,
    healthy,
    command,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    apply: (t: FreezeTransition & { thread?: IncidentThreadRef | null }) =>
      applyFreezePolicy(deps, policy, t, t.thread ?? null),
    sweep: () => expireFreezes(deps, now),
  };
}

const textOf = (m: Message) => [m.text, ...m.parts.map((p) => ("text" in p ? String(p.text) : ""))].join("\n");

describe("freeze policy file", () => {
  it("names the field that is wrong, including a finding id no rule has", () => {
    expect(() => parseFreezePolicy({ rules: [{ name: "x", findings: ["gateway-dead"] }] }, "policy.json")).toThrow(
      /policy\.json: rules\.0\.findings\.0: not a finding rule id/,
    );
    expect(() => parseFreezePolicy({ rules: [{ name: "x", findings: [] }] }, "p")).toThrow(/rules\.0\.findings/);
    expect(() => parseFreezePolicy({ rules: [{ name: "x", findings: ["gateway-down"], liftAfter: 5 }] }, "p")).toThrow(
      /rules\.0/,
    );
    expect(() =>
      parseFreezePolicy({ rules: [{ name: "x", findings: ["gateway-down"], liftAfterHealthyMin: -1 }] }, "p"),
    ).toThrow(/rules\.0\.liftAfterHealthyMin/);
    expect(parseFreezePolicy({}, "p")).toEqual({ rules: [] });
    expect(parseFreezePolicy({ rules: [{ name: "any", findings: ["*"] }] }, "p").rules[0]).toMatchObject({
      liftAfterHealthyMin: 5,
      maxFreezeMin: 240,
    });
  });

  it("accepts the example file the docs show", () => {
    const example = JSON.parse(
      readFileSync(new URL("../../infra/freeze-policy/freeze-policy.example.json", import.meta.url), "utf8"),
    );
    expect(parseFreezePolicy(example, "example").rules.map((r) => r.name)).toEqual([
      "gateway down",
      "crash loop",
      "second gateway after an upgrade",
    ]);
  });

  it("matches on finding ids and host globs or tags, first rule first", () => {
    const host = (name: string, tags: string[] = []) => ({ name, tags });
    expect(matchFreezeRule(POLICY, host("node-3"), ["token-drift", "gateway-down"])?.name).toBe("gateway down");
    expect(matchFreezeRule(POLICY, host("node-3"), ["token-drift"])).toBeNull();
    // Right finding, host outside the globs and without the tag.
    expect(matchFreezeRule(POLICY, host("db-1"), ["gateway-down"])).toBeNull();
    expect(matchFreezeRule(POLICY, host("db-1"), ["dual-gateway-process"])).toBeNull();
    expect(matchFreezeRule(POLICY, host("edge-1", ["edge"]), ["dual-gateway-process"])?.name).toBe(
      "edge double gateway",
    );
    const any = parseFreezePolicy({ rules: [{ name: "any", findings: ["*"] }] }, "p");
    expect(matchFreezeRule(any, host("db-1"), ["token-drift"])?.name).toBe("any");
    expect(matchFreezeRule(any, host("db-1"), [])).toBeNull();
  });
});

describe("automatic freezes from watch transitions", () => {
  it("freezes a failing host a rule covers, says why and what lifts it, and lifts it with an all-clear after 5 min healthy", async () => {
    const t = await setup();
    expect(await t.apply(t.failing("node-3", ["gateway-down"]))).toBe("frozen");
    const f = await t.recoveryStore.getFreeze("node-3");
    expect(f).toMatchObject({ owner: AUTO_FREEZE_OWNER, source: "system", expiresAt: T0 + 120 * MIN });
    // The incident thread was opened in the incident channel; the notice went there and to the announcement channel.
    const [header, inThread, announced] = t.posted;
    expect(header?.channel).toBe(INCIDENTS);
    expect(inThread).toMatchObject({ channel: INCIDENTS, threadTs: header?.ts });
    expect(announced).toMatchObject({ channel: ANNOUNCE });
    expect(announced?.threadTs).toBeUndefined();
    for (const m of [inThread, announced]) {
      const text = textOf(m as ChatMessage);
      expect(text).toContain("Automatic freeze: node-3");
      expect(text).toContain("`gateway-down`");
      expect(text).toContain("*gateway down*");
      expect(text).toContain("lifts after 5 min healthy; at the latest at 2026-11-24 11:00 UTC");
    }
    const audit = await t.recoveryStore.listAudit({ host: "node-3" });
    expect(audit.map((e) => [e.actor, e.action])).toEqual([["system", "freeze.auto"]]);

    // Healthy for 3 min, then failing again: the healthy clock starts over; nothing is lifted.
    t.advance(MIN);
    expect(await t.apply(t.healthy("node-3"))).toBe("lift-scheduled");
    t.advance(3 * MIN);
    expect((await t.sweep()).expired).toEqual([]);
    expect(await t.apply(t.failing("node-3", ["gateway-crash-loop"]))).toBe("refrozen");
    t.advance(10 * MIN);
    expect((await t.sweep()).expired).toEqual([]);
    expect(t.posted).toHaveLength(3);

    // Healthy since now: lifted only once 5 min have passed since the healthy state began.
    const healthySince = t.now() - 30_000;
    await t.apply(t.healthy("node-3", healthySince));
    t.advance(4 * MIN);
    expect((await t.sweep()).expired).toEqual([]);
    expect(await t.recoveryStore.getFreeze("node-3")).not.toBeNull();
    t.advance(MIN);
    expect((await t.sweep()).expired.map((e) => e.target)).toEqual(["node-3"]);
    expect(await t.recoveryStore.getFreeze("node-3")).toBeNull();
    const clear = t.posted.slice(3);
    expect(clear.map((m) => [m.channel, m.threadTs])).toEqual([
      [INCIDENTS, header?.ts],
      [ANNOUNCE, undefined],
    ]);
    expect(textOf(clear[0] as ChatMessage)).toContain("All clear:");
    expect(textOf(clear[0] as ChatMessage)).toContain(
      `healthy since ${new Date(healthySince).toISOString().slice(0, 16).replace("T", " ")} UTC (5 min)`,
    );
    expect((await t.recoveryStore.listAudit({ host: "node-3", order: "desc", limit: 1 }))[0]?.action).toBe(
      "freeze.auto.lifted",
    );
  });

  it("posts in the watch's thread when it has one, and does nothing for transitions no rule covers", async () => {
    const t = await setup();
    expect(await t.apply(t.failing("node-3", ["token-drift"]))).toBe("none");
    expect(await t.apply(t.failing("db-1", ["gateway-down"]))).toBe("none");
    expect(await t.apply(t.healthy("node-3"))).toBe("none");
    expect(await t.apply(t.failing("unknown-9", ["gateway-down"]))).toBe("none");
    expect(t.posted).toEqual([]);
    expect(await t.recoveryStore.listFreezes()).toEqual([]);

    const thread = { channel: "C0EDGE", threadTs: "1790000000.555" };
    expect(await t.apply(t.failing("edge-1", ["dual-gateway-process"], thread))).toBe("frozen");
    expect(t.posted.map((m) => [m.channel, m.threadTs])).toEqual([
      ["C0EDGE", "1790000000.555"],
      [ANNOUNCE, undefined],
    ]);
    expect(textOf(t.posted[0] as ChatMessage)).toContain("lifts after 10 min healthy");
  });

  it("leaves a person's freeze alone: not replaced, not lifted", async () => {
    const t = await setup();
    await t.command("freeze node-3 for 1h kernel upgrade", "U0OPS");
    const before = await t.recoveryStore.getFreeze("node-3");
    const posts = t.posted.length;
    expect(await t.apply(t.failing("node-3", ["gateway-down"]))).toBe("none");
    expect(await t.apply(t.healthy("node-3"))).toBe("none");
    t.advance(10 * MIN);
    expect((await t.sweep()).expired).toEqual([]);
    expect(await t.recoveryStore.getFreeze("node-3")).toEqual(before);
    expect(t.posted).toHaveLength(posts);
  });

  it("a person's freeze placed between the policy's read and its write survives (the write is conditional in the store)", async () => {
    for (const lateTransition of ["failing", "healthy"] as const) {
      const t = await setup();
      if (lateTransition === "healthy") await t.apply(t.failing("node-3", ["gateway-down"]));
      // The person's freeze lands right after the policy read the host's freeze.
      const read = t.recoveryStore.getFreeze.bind(t.recoveryStore);
      let raced = false;
      t.recoveryStore.getFreeze = async (target) => {
        const seen = await read(target);
        if (!raced) {
          raced = true;
          // What `freeze node-3 for 1h` stores (an incident lead's, over an automatic freeze).
          await t.recoveryStore.putFreeze({
            target: "node-3",
            owner: LEAD,
            reason: "kernel upgrade",
            source: "slack",
            createdAt: t.now(),
            expiresAt: t.now() + 60 * MIN,
            channel: "C0OPS",
            notices: [],
          });
        }
        return seen;
      };
      const posts = t.posted.length;
      const transition = lateTransition === "failing" ? t.failing("node-3", ["gateway-down"]) : t.healthy("node-3");
      expect(await t.apply(transition), lateTransition).toBe("none");
      t.recoveryStore.getFreeze = read;
      const held = await t.recoveryStore.getFreeze("node-3");
      expect(held?.owner, lateTransition).toBe(LEAD);
      expect(held?.auto, lateTransition).toBeUndefined();
      expect(held?.expiresAt, lateTransition).toBe(t.now() + 60 * MIN);
      // Only the person's own freeze notice was posted: no automatic one, no lift.
      expect(
        t.posted
          .slice(posts)
          .map((m) => m.text)
          .join("\n"),
        lateTransition,
      ).not.toContain("automatic");
      t.advance(10 * MIN);
      expect((await t.sweep()).expired, lateTransition).toEqual([]);
    }
  });

  it("ends at its cap when the host never recovers, without claiming it is healthy", async () => {
    const t = await setup();
    await t.apply(t.failing("node-3", ["gateway-stopped"]));
    t.advance(120 * MIN);
    expect((await t.sweep()).expired).toHaveLength(1);
    const last = textOf(t.posted.at(-1) as ChatMessage);
    expect(last).toContain("ended at its cap");
    expect(last).toContain("The watch last saw it failing");
    expect(last).not.toContain("All clear");
  });

  it("only incident leads lift or extend it; an extension holds it past the healthy time", async () => {
    const t = await setup();
    await t.apply(t.failing("node-3", ["gateway-down"]));
    const refused = await t.command("unfreeze node-3", "U0OPS");
    expect(refused.error?.code).toBe("forbidden");
    expect(refused.error?.message).toContain("Only an incident lead may lift the automatic freeze");
    expect((await t.command("freeze node-3 extend 30m", "U0OPS")).error?.code).toBe("forbidden");

    const extended = await t.command("freeze node-3 extend 30m", LEAD);
    expect(extended.error).toBeUndefined();
    expect(textOf(extended.ack)).toContain("not before 2026-11-24 09:30 UTC (extended)");
    expect(textOf(t.posted.at(-1) as ChatMessage)).toContain("Freeze extended");
    // Healthy at once: the healthy time (5 min) is over long before the extension.
    await t.apply(t.healthy("node-3", t.now()));
    t.advance(10 * MIN);
    expect((await t.sweep()).expired).toEqual([]);
    t.advance(20 * MIN);
    expect((await t.sweep()).expired).toHaveLength(1);

    await t.apply(t.failing("node-3", ["gateway-down"]));
    const lifted = await t.command("unfreeze node-3", LEAD);
    expect(lifted.error).toBeUndefined();
    expect(await t.recoveryStore.getFreeze("node-3")).toBeNull();
    const audit = await t.recoveryStore.listAudit({ host: "node-3" });
    expect(audit.filter((e) => e.action === "command").map((e) => [e.actor, e.outcome])).toEqual([
      ["U0OPS", "refused"],
      ["U0OPS", "refused"],
      [LEAD, "ok"],
      [LEAD, "ok"],
    ]);
  });
});
