import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { Authorizer, parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { isClawopsError } from "../../src/core/errors.ts";
import type { FreezeRecord, RecoveryStore } from "../../src/core/ports/recovery.ts";
import { SqliteRecoveryStore } from "../../src/node/recovery-store.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";

const T0 = 1_790_000_000_000;

function freeze(target: string, overrides: Partial<FreezeRecord> = {}): FreezeRecord {
  return {
    target,
    owner: "U0OWNER",
    reason: "restart pending",
    source: "slack",
    createdAt: T0,
    expiresAt: T0 + 60_000,
    channel: "C0INC",
    notices: [],
    ...overrides,
  };
}

function refusal(text: string): string {
  try {
    parseCommand(text);
  } catch (err) {
    if (isClawopsError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error(`\`${text}\` parsed`);
}

describe("recovery command grammar", () => {
  it("parses freeze with and without a duration", () => {
    expect(parseCommand("freeze node-3 gateway flapping")).toEqual({
      kind: "freeze",
      target: "node-3",
      durationMs: 30 * 60_000,
      reason: "gateway flapping",
    });
    expect(parseCommand("freeze ALL for 2h fleet upgrade")).toEqual({
      kind: "freeze",
      target: "all",
      durationMs: 2 * 3_600_000,
      reason: "fleet upgrade",
    });
    // "for" not followed by a duration is part of the reason.
    expect(parseCommand("freeze node-3 for the upgrade")).toMatchObject({ reason: "for the upgrade" });
    expect(parseCommand("unfreeze node-3")).toEqual({ kind: "unfreeze", target: "node-3" });
    expect(parseCommand("status")).toEqual({ kind: "status", scope: { kind: "freezes" } });
    expect(parseCommand("audit")).toEqual({ kind: "audit", host: null });
    expect(parseCommand("audit node-3")).toEqual({ kind: "audit", host: "node-3" });
    expect(parseCommand("recover Node-3")).toEqual({ kind: "recover", host: "node-3" });
  });

  it("refuses freezes without a reason, out-of-range durations and bad hosts", () => {
    expect(refusal("freeze node-3")).toMatch(/^bad_request: A freeze needs a reason/);
    expect(refusal("freeze node-3 for 30m")).toMatch(/^bad_request: A freeze needs a reason/);
    expect(refusal("freeze node-3 for 25h x")).toMatch(/between 1 minute and 24 hours/);
    expect(refusal("freeze node-3 for 0m x")).toMatch(/between 1 minute and 24 hours/);
    expect(refusal("freeze no_such! x")).toMatch(/^invalid_host_name/);
    expect(refusal("unfreeze")).toMatch(/Usage: `\/openclaw unfreeze/);
    expect(refusal("recover")).toMatch(/Usage: `\/openclaw recover <host>`/);
    expect(refusal("recover a b")).toMatch(/Usage: `\/openclaw recover <host>`/);
  });
});

describe("authorization file", () => {
  it("rejects unknown fields and malformed ids, naming the field", () => {
    expect(() => parseAuthzConfig({ actions: { restart: { users: ["bob"] } } }, "authz.json")).toThrow(
      /actions\.restart\.users\.0/,
    );
    expect(() => parseAuthzConfig({ actions: { reboot: {} } }, "authz.json")).toThrow(/authz\.json/);
    expect(() => parseAuthzConfig({ admins: [] }, "authz.json")).toThrow(/authz\.json/);
  });

  it("denies mutations by default, allows listed users, groups and channels, and the local operator", async () => {
    const none = new Authorizer();
    expect(await none.refusal({ user: "U0A", channel: "C0A", source: "slack" }, "restart")).toMatch(
      /Nobody is allowed to `restart`/,
    );
    expect(await none.refusal({ user: "console", channel: "console", source: "console" }, "restart")).toBeNull();
    // "console" typed as a Slack user id is not the local operator.
    expect(await none.refusal({ user: "console", channel: "C0A", source: "slack" }, "restart")).not.toBeNull();

    const config = parseAuthzConfig(
      {
        incidentLeads: { userGroups: ["S0LEADS"] },
        actions: { recover: { users: ["U0A"], userGroups: ["S0SRE"], channels: ["C0OPS"] } },
      },
      "authz.json",
    );
    const groups = new Map([
      ["S0SRE", ["U0SRE"]],
      ["S0LEADS", ["U0LEAD"]],
    ]);
    const authz = new Authorizer(config, async (g) => groups.get(g) ?? []);
    const at = (user: string, channel = "C0ELSE") => ({ user, channel, source: "slack" as const });
    expect(await authz.refusal(at("U0A"), "recover")).toBeNull();
    expect(await authz.refusal(at("U0SRE"), "recover")).toBeNull();
    expect(await authz.refusal(at("U0Z", "C0OPS"), "recover")).toBeNull();
    expect(await authz.refusal(at("U0Z"), "recover")).toMatch(/not allowed to `recover`/);
    expect(await authz.refusal(at("U0A"), "restart")).toMatch(/Nobody is allowed/);
    expect(await authz.isIncidentLead(at("U0LEAD"))).toBe(true);
    expect(await authz.isIncidentLead(at("U0A"))).toBe(false);
  });
});

describe.each([
  ["memory", () => new InMemoryRecoveryStore()],
  ["sqlite", () => new SqliteRecoveryStore(new DatabaseSync(":memory:"))],
] as [string, () => RecoveryStore][])("%s recovery store", (_name, make) => {
  it("keeps one freeze per target and removes only the freeze it was asked to", async () => {
    const store = make();
    await store.putFreeze(freeze("node-3"));
    await store.putFreeze(freeze("all", { expiresAt: T0 + 10_000 }));
    expect((await store.listFreezes()).map((f) => f.target)).toEqual(["all", "node-3"]);
    // Replaced by a newer freeze: an expiry sweep holding the old createdAt removes nothing.
    await store.putFreeze(freeze("node-3", { createdAt: T0 + 5, owner: "U0LEAD" }));
    expect(await store.removeFreeze("node-3", T0)).toBeNull();
    await store.setFreezeNotices("node-3", T0, [{ channel: "C0X", threadTs: null }]);
    expect((await store.getFreeze("node-3"))?.notices).toEqual([]);
    await store.setFreezeNotices("node-3", T0 + 5, [{ channel: "C0X", threadTs: "1.2" }]);
    const removed = await store.removeFreeze("node-3", T0 + 5);
    expect(removed).toMatchObject({ owner: "U0LEAD", notices: [{ channel: "C0X", threadTs: "1.2" }] });
    expect(await store.removeFreeze("node-3")).toBeNull();
    expect(await store.getFreeze("node-3")).toBeNull();
  });

  it("appends audit entries with increasing seq and pages them by host and order", async () => {
    const store = make();
    for (const [i, host] of ["node-3", "node-4", "node-3", null].entries()) {
      const e = await store.appendAudit({
        at: T0 + i,
        actor: "U0A",
        source: "slack",
        action: "command",
        host,
        outcome: "ok",
        detail: `entry ${i}`,
        ref: null,
      });
      expect(e.seq).toBe(i + 1);
    }
    expect((await store.listAudit({})).map((e) => e.detail)).toEqual(["entry 0", "entry 1", "entry 2", "entry 3"]);
    expect((await store.listAudit({ host: "node-3" })).map((e) => e.seq)).toEqual([1, 3]);
    expect((await store.listAudit({ order: "desc", limit: 2 })).map((e) => e.seq)).toEqual([4, 3]);
    expect((await store.listAudit({ afterSeq: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    expect((await store.listAudit({ afterSeq: 1, host: "node-3" }))[0]).toMatchObject({ seq: 3, host: "node-3" });
  });
});
