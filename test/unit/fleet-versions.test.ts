import { describe, expect, it } from "vitest";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { fleetFromWatch } from "../../src/core/fleet/from-watch.ts";
import { renderFleetStatus } from "../../src/core/fleet/render.ts";
import { versionDrift } from "../../src/core/fleet/versions.ts";
import { watchObservation } from "../../src/core/hosts/watch-observation.ts";
import { DEFAULT_WATCH_SETTINGS } from "../../src/core/hosts/watch-state.ts";
import { builtinKnownIssues } from "../../src/core/known-issues/builtin.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { testDeps } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);

/** A watch probe's results as an agent sends them: the quick probe and its state.files reading. */
function probe(plugins: { name: string; version: string | null }[] | null): StepResult[] {
  const stateFiles = {
    step: "state.files",
    status: "ok",
    durationMs: 3,
    data: {
      stateDir: "/home/openclaw/.openclaw",
      volumes: [],
      databases: [],
      quick: true,
      ...(plugins ? { plugins: { packages: plugins } } : {}),
    },
  } as unknown as StepResult;
  return [...healthyResults().filter((r) => QUICK.has(r.step)), stateFiles];
}

function host(name: string, gatewayVersion: string | null): HostRecord {
  return { name, publicKey: "k", enrolledAt: 0, revokedAt: null, agentVersion: "1", gatewayVersion, lastSeenAt: NOW };
}

function record(name: string, results: StepResult[]): WatchRecord {
  const last = watchObservation(results, { at: NOW - 5_000, seq: 3, hash: "h" });
  return {
    host: name,
    last,
    run: { healthy: true, since: NOW - 60_000, count: 3 },
    held: { healthy: true, since: NOW - 60_000, at: NOW - 30_000, findingIds: [], reason: last.reason },
    failingSince: null,
    reportedAt: NOW - 5_000,
    stale: null,
    flap: null,
  };
}

describe("version drift in the fleet matrix", () => {
  it("reads each host's plugins from its watch state and flags lockstep, majority and known issues", async () => {
    const store = new InMemoryStore();
    const fleet: [HostRecord, StepResult[]][] = [
      [
        host("node-1", "2026.9.6"),
        probe([
          { name: "@openclaw/matrix", version: "2026.9.5" },
          { name: "@openclaw/slack", version: "2026.9.6" },
          { name: "openclaw-weather", version: "1.2.0" },
        ]),
      ],
      [host("node-2", "2026.9.6"), probe([{ name: "@openclaw/slack", version: "2026.9.6-1" }])],
      [host("node-3", "2026.9.6"), probe(null)],
      [host("node-4", "2026.9.5"), probe([{ name: "@openclaw/slack", version: "2026.9.5" }])],
      [host("node-5", null), probe(null)],
    ];
    for (const [h, results] of fleet) {
      await store.insertHost(h);
      await store.putWatch(record(h.name, results));
    }
    // Every host of the fleet online.
    const transport = new FakeHostTransport();
    for (const [h] of fleet) transport.addHost(h.name);
    const deps = testDeps({ store, transport, clock: { now: () => NOW }, knownIssues: builtinKnownIssues() });
    const report = await fleetFromWatch(deps, { kind: "all" }, DEFAULT_WATCH_SETTINGS);
    const v = report.versions;
    expect(v?.majority).toEqual({ version: "2026.9.6", hosts: 3 });
    expect(v?.offMajority).toEqual([{ host: "node-4", version: "2026.9.5" }]);
    expect(v?.unknown).toEqual(["node-5"]);
    // A correction (2026.9.6-1) is its release's cohort; a third-party plugin is not compared; node-4's
    // plugin matches its own core though that core is behind the fleet.
    expect(v?.plugins).toEqual([
      { host: "node-1", core: "2026.9.6", behind: [{ name: "@openclaw/matrix", version: "2026.9.5" }] },
    ]);
    expect(v?.withPlugins).toBe(3);
    expect(v?.knownIssues).toEqual([
      { version: "2026.9.5", hosts: ["node-4"], issues: [{ ref: "openclaw/openclaw#153899", fixedIn: "2026.9.6" }] },
    ]);
    const rows = Object.fromEntries(report.rows.map((r) => [r.host, r]));
    expect(rows["node-4"]?.version).toBe("2026.9.5");
    expect(rows["node-5"]?.version).toBeUndefined();
    expect(rows["node-1"]?.plugins).toEqual([
      "@openclaw/matrix 2026.9.5",
      "@openclaw/slack 2026.9.6",
      "openclaw-weather 1.2.0",
    ]);

    const text = JSON.stringify(toBlockKit(renderFleetStatus(report)).blocks);
    expect(text).toContain("node-4* 🟢 ok");
    expect(text).toMatch(/node-4\*[^\\]*`2026\.9\.5` ≠fleet 🐞/);
    expect(text).toMatch(/node-1\*[^\\]*`2026\.9\.6` 🧩/);
    expect(text).toContain("@openclaw/matrix 2026.9.5 ≠ core 2026.9.6");
    expect(text).toContain("#153899 (fixed in 2026.9.6)");
  });

  it("a fleet in lockstep says so in one line; ties go to the newest version", () => {
    const same = versionDrift(
      [host("a", "2026.9.6"), host("b", "2026.9.6")],
      new Map([["a", { last: { attributes: { plugins: ["@openclaw/slack 2026.9.6"] } } } as WatchRecord]]),
      builtinKnownIssues(),
    );
    expect(same).toMatchObject({ offMajority: [], plugins: [], withPlugins: 1, knownIssues: [] });
    const tie = versionDrift([host("a", "2026.9.5"), host("b", "2026.9.6")], new Map(), builtinKnownIssues());
    expect(tie.majority).toEqual({ version: "2026.9.6", hosts: 1 });
    expect(tie.offMajority).toEqual([{ host: "a", version: "2026.9.5" }]);
  });

  it("stays inside one Slack section with 1,000 hosts on 300 versions and every plugin behind", () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => host(`node-${i}`, `2026.${1 + (i % 12)}.${i % 25}`));
    const watch = new Map(
      hosts.map((h) => [
        h.name,
        { last: { attributes: { plugins: ["@openclaw/a 2025.1.1", "@openclaw/b 2025.1.1"] } } } as WatchRecord,
      ]),
    );
    const report = {
      selector: { kind: "all" as const },
      rows: [],
      counts: { ok: 0, warn: 0, fail: 0, "no-answer": 0, offline: 0 },
      columns: [],
      deadlineMs: 2000,
      elapsedMs: 1,
      source: "watch" as const,
      versions: versionDrift(hosts, watch, builtinKnownIssues()),
    };
    const msg = toBlockKit(
      renderFleetStatus({ ...report, rows: [{ host: "x", state: "ok", layers: {}, reason: "ok" }] }),
    );
    for (const b of msg.blocks) {
      const t = (b as { text?: { text?: string } }).text?.text ?? "";
      expect(t.length).toBeLessThanOrEqual(3000);
    }
    expect(JSON.stringify(msg.blocks)).toContain("+994 more");
  });
});
