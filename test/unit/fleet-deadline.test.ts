import { describe, expect, it } from "vitest";
import { probeFleet } from "../../src/core/fleet/fleet.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * The fleet deadline bounds the whole probe, the online check included: on Workers that check
 * is a call to each host's Durable Object, and with 1,000 hosts on one workerd those calls
 * alone took longer than the deadline (bench/fleet-workerd.ts).
 */
const quiet = { info() {}, warn() {}, error() {} };
let seq = 0;
const ids = { id: (prefix: string) => `${prefix}_${++seq}` };

/** A transport whose online check takes `checkMs` for the hosts in `slow`, and throws for those in `broken`. */
class SlowCheckTransport extends FakeHostTransport {
  private readonly slow: Set<string>;
  private readonly checkMs: number;
  private readonly broken: Set<string>;
  constructor(slow: Set<string>, checkMs: number, broken = new Set<string>()) {
    super();
    this.slow = slow;
    this.checkMs = checkMs;
    this.broken = broken;
  }
  override async isOnline(host: string): Promise<boolean> {
    if (this.broken.has(host)) throw new Error("Network connection lost.");
    if (this.slow.has(host)) await new Promise((r) => setTimeout(r, this.checkMs));
    return super.isOnline(host);
  }
}

async function fleet(hosts: string[], transport: FakeHostTransport) {
  const store = new InMemoryStore();
  for (const name of hosts) {
    await store.insertHost({
      name,
      publicKey: "k",
      enrolledAt: 0,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
    transport.addHost(name, { results: toResults(healthyData()) });
  }
  return { store, transport, clock: { now: () => Date.now() }, ids, logger: quiet };
}

describe("status all: one deadline for the whole probe", () => {
  it("answers at the deadline when online checks are slower, and sends no job after it", async () => {
    const transport = new SlowCheckTransport(new Set(["late-1", "late-2"]), 600);
    const deps = await fleet(["fast-1", "fast-2", "late-1", "late-2"], transport);
    const t0 = Date.now();
    const report = await probeFleet(deps, { kind: "all" }, { deadlineMs: 200 });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(report.counts).toMatchObject({ ok: 2, "no-answer": 2 });
    expect(report.rows.find((r) => r.host === "late-1")?.reason).toBe("no answer within 0.2 s");
    // Wait past the slow checks: the late hosts were never sent a job.
    await new Promise((r) => setTimeout(r, 700));
    expect(transport.dispatched.map((d) => d.host).sort()).toEqual(["fast-1", "fast-2"]);
  });

  it("reports a host whose online check fails as no answer instead of failing the whole report", async () => {
    const transport = new SlowCheckTransport(new Set(), 0, new Set(["gone-1"]));
    const deps = await fleet(["ok-1", "gone-1"], transport);
    const report = await probeFleet(deps, { kind: "all" }, { deadlineMs: 500 });
    expect(report.counts).toMatchObject({ ok: 1, "no-answer": 1 });
    expect(report.rows.find((r) => r.host === "gone-1")?.reason).toContain("online check failed");
  });
});
