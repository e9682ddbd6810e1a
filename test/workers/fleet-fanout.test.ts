import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FleetRow, ProbeTarget } from "../../src/core/ports/fleet.ts";
import { ShardedFanout } from "../../src/worker/fanout-shard.ts";
import { quietLogger } from "../support/loggers.ts";

/**
 * The live fleet fan-out's parts inside workerd: the real `FanoutShard` and `HostAgent`
 * objects of wrangler.toml, 2 hosts per fan-out object. No agent connects here, so a host's
 * own object answers `offline`; one host's object is made to fail (its probe throws inside
 * the object) and one to answer late (its probe never returns), and one fan-out object is
 * made to fail as a whole. Each is reported as what happened; no other host's row is lost.
 */

/**
 * The fan-out's deadline. Only `fx-late` is meant to miss it (its probe never returns), so it is
 * long enough for every other host's object to answer on a loaded machine: the first call to each
 * object starts it, and a 0.6 s deadline was missed by hosts that answer at once (CI, 2026-11-28).
 * The test waits this long once, for the late one.
 */
const DEADLINE_MS = 5_000;

function hostObject(name: string) {
  return env.HOSTS.get(env.HOSTS.idFromName(name));
}

/** Replaces the hub of a live host object, in that object (its next RPC uses it). */
async function breakHost(name: string, dispatch: () => Promise<unknown>): Promise<void> {
  await runInDurableObject(hostObject(name), (instance) => {
    (instance as unknown as { hub: { dispatch: () => Promise<unknown> } }).hub.dispatch = dispatch;
  });
}

function byHost(rows: FleetRow[]): Map<string, FleetRow> {
  return new Map(rows.map((r) => [r.host, r]));
}

describe("the live fleet fan-out on Workers (FanoutShard objects)", () => {
  it("answers every host: offline from its own object, a failing object and a late one as such", async () => {
    const hosts: ProbeTarget[] = ["fx-1", "fx-2", "fx-broken", "fx-4", "fx-late", "fx-6", "fx-7"].map((name) => ({
      name,
      lastSeenAt: name === "fx-1" ? Date.UTC(2026, 10, 20, 8, 0, 0) : null,
    }));
    await breakHost("fx-broken", () => {
      throw new Error("host object broke");
    });
    await breakHost("fx-late", () => new Promise(() => {}));
    const rows = byHost(
      await new ShardedFanout(env.FANOUT_SHARDS, { group: 2, logger: quietLogger }).probe(hosts, DEADLINE_MS),
    );
    expect([...rows.keys()].sort()).toEqual(hosts.map((h) => h.name).sort());
    expect(rows.get("fx-1")).toMatchObject({
      state: "offline",
      reason: "agent not connected (last seen 2026-11-20T08:00:00.000Z)",
    });
    for (const h of ["fx-2", "fx-4", "fx-6", "fx-7"]) {
      expect(rows.get(h)).toMatchObject({ state: "offline", reason: "agent not connected (never connected)" });
    }
    expect(rows.get("fx-broken")?.state).toBe("no-answer");
    expect(rows.get("fx-broken")?.reason).toMatch(/^host object failed: .*host object broke/);
    expect(rows.get("fx-late")).toMatchObject({ state: "no-answer", reason: "no answer within 5.0 s" });
  });

  it("a fan-out object that fails costs only its own group's rows, each saying why", async () => {
    const hosts: ProbeTarget[] = ["fy-1", "fy-2", "fy-3", "fy-4", "fy-5"].map((name) => ({ name, lastSeenAt: null }));
    // fanout-1 gets fy-3 and fy-4; make it throw before it calls any host.
    await runInDurableObject(env.FANOUT_SHARDS.get(env.FANOUT_SHARDS.idFromName("fanout-1")), (instance) => {
      Object.defineProperty(instance, "env", {
        get() {
          throw new Error("fan-out object broke");
        },
      });
    });
    const rows = byHost(
      await new ShardedFanout(env.FANOUT_SHARDS, { group: 2, logger: quietLogger }).probe(hosts, DEADLINE_MS),
    );
    expect([...rows.keys()].sort()).toEqual(["fy-1", "fy-2", "fy-3", "fy-4", "fy-5"]);
    for (const h of ["fy-1", "fy-2", "fy-5"]) expect(rows.get(h)?.state).toBe("offline");
    for (const h of ["fy-3", "fy-4"]) {
      expect(rows.get(h)?.state).toBe("no-answer");
      expect(rows.get(h)?.reason).toMatch(/^its fan-out object \(fanout-1\) failed: .*fan-out object broke/);
    }
  });
});
