import { describe, expect, it } from "vitest";
import { probeFleet } from "../../src/core/fleet/fleet.ts";
import type { JobOutcome } from "../../src/core/ports/transport.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { quietLogger } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * The fleet deadline bounds the whole probe: on Workers each host's probe is a call to its
 * Durable Object, and with 1,000 hosts on one workerd those calls alone took longer than the
 * deadline (bench/fleet-workerd.ts). One call per host: no separate online check.
 */
const quiet = quietLogger;
let seq = 0;
const ids = { id: (prefix: string) => `${prefix}_${++seq}` };

/** A transport whose call takes `callMs` longer for the hosts in `slow`, and throws for those in `broken`. */
class SlowCallTransport extends FakeHostTransport {
  private readonly slow: Set<string>;
  private readonly callMs: number;
  private readonly broken: Set<string>;
  onlineChecks = 0;
  constructor(slow: Set<string>, callMs: number, broken = new Set<string>()) {
    super();
    this.slow = slow;
    this.callMs = callMs;
    this.broken = broken;
  }
  override async isOnline(host: string): Promise<boolean> {
    this.onlineChecks++;
    return super.isOnline(host);
  }
  override async dispatch(...args: Parameters<FakeHostTransport["dispatch"]>): Promise<JobOutcome> {
    const [host] = args;
    if (this.broken.has(host)) throw new Error("Network connection lost.");
    if (this.slow.has(host)) await new Promise((r) => setTimeout(r, this.callMs));
    return super.dispatch(...args);
  }
}

async function fleet(hosts: string[], transport: FakeHostTransport, offline: string[] = []) {
  const store = new InMemoryStore();
  for (const name of [...hosts, ...offline]) {
    await store.insertHost({
      name,
      publicKey: "k",
      enrolledAt: 0,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
  }
  for (const name of hosts) transport.addHost(name, { results: toResults(healthyData()) });
  return { store, transport, clock: { now: () => Date.now() }, ids, logger: quiet };
}

describe("status all: one deadline for the whole probe", () => {
  it("answers at the deadline when some hosts' calls are slower", async () => {
    // The deadline is long enough for the fast hosts on a loaded machine; the late ones take 3 s.
    const transport = new SlowCallTransport(new Set(["late-1", "late-2"]), 3_000);
    const deps = await fleet(["fast-1", "fast-2", "late-1", "late-2"], transport);
    const report = await probeFleet(deps, { kind: "all" }, { deadlineMs: 1_000 });
    expect(report.counts).toMatchObject({ ok: 2, "no-answer": 2 });
    expect(report.rows.find((r) => r.host === "late-1")?.reason).toBe("no answer within 1.0 s");
  });

  it("makes one call per host: a quick probe without progress, offline hosts told by the same call", async () => {
    const transport = new SlowCallTransport(new Set(), 0);
    const deps = await fleet(["up-1", "up-2"], transport, ["gone-1"]);
    const report = await probeFleet(deps, { kind: "all" }, { deadlineMs: 5_000 });
    expect(report.counts).toMatchObject({ ok: 2, offline: 1 });
    expect(report.rows.find((r) => r.host === "gone-1")?.reason).toBe("agent not connected (never connected)");
    expect(transport.onlineChecks).toBe(0);
    expect(transport.dispatched.map((d) => d.host).sort()).toEqual(["gone-1", "up-1", "up-2"]);
    expect(transport.dispatched.every((d) => d.job.progress === false)).toBe(true);
  });

  it("reports a host whose call fails as no answer instead of failing the whole report", async () => {
    const transport = new SlowCallTransport(new Set(), 0, new Set(["gone-1"]));
    const deps = await fleet(["ok-1", "gone-1"], transport);
    const report = await probeFleet(deps, { kind: "all" }, { deadlineMs: 5_000 });
    expect(report.counts).toMatchObject({ ok: 1, "no-answer": 1 });
    expect(report.rows.find((r) => r.host === "gone-1")?.reason).toContain("probe failed");
  });
});

describe("status all through a runtime's fan-out (FleetFanout: Workers' fan-out objects)", () => {
  it("hands every selected host to the fan-out with what its row needs, calls no host itself, and sorts what comes back", async () => {
    const transport = new SlowCallTransport(new Set(), 0);
    const deps = await fleet(["f-1", "f-2", "f-3"], transport);
    const given: { hosts: unknown[]; deadlineMs: number }[] = [];
    const report = await probeFleet(
      {
        ...deps,
        fleetFanout: {
          online: async (hosts) => hosts.map(() => false),
          probe: async (hosts, deadlineMs) => {
            given.push({ hosts: [...hosts], deadlineMs });
            return [
              { host: "f-1", state: "ok", layers: { process: "ok" }, reason: "every probed layer ok" },
              { host: "f-2", state: "no-answer", layers: {}, reason: "its fan-out object (fanout-0) failed: boom" },
              { host: "f-3", state: "fail", layers: { process: "fail" }, reason: "Gateway is not running" },
            ];
          },
        },
      },
      { kind: "all" },
      { deadlineMs: 2_000 },
    );
    expect(given).toHaveLength(1);
    expect(given[0]?.hosts).toEqual([
      { name: "f-1", lastSeenAt: null },
      { name: "f-2", lastSeenAt: null },
      { name: "f-3", lastSeenAt: null },
    ]);
    expect(given[0]?.deadlineMs).toBeLessThanOrEqual(2_000);
    expect(transport.onlineChecks).toBe(0);
    expect(report.rows.map((r) => [r.host, r.state])).toEqual([
      ["f-3", "fail"],
      ["f-2", "no-answer"],
      ["f-1", "ok"],
    ]);
    expect(report.counts).toMatchObject({ ok: 1, fail: 1, "no-answer": 1 });
  });
});
