import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import { fleetFromWatch } from "../../src/core/fleet/from-watch.ts";
import { type FreezePolicy, parseFreezePolicy } from "../../src/core/freezes/policy.ts";
import { watchObservation } from "../../src/core/hosts/watch-observation.ts";
import { confirm, DEFAULT_WATCH_SETTINGS, nextSweepAt, observe, sweep } from "../../src/core/hosts/watch-state.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import type { ChatMessage, ChatPort } from "../../src/core/ports/chat.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import type { WatchObservation, WatchRecord } from "../../src/core/ports/watch-record.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { gatewayDownData, healthyResults, tokenDriftData, toResults } from "../support/evidence.ts";
import { collectingLogger, RecordingJobs, testDeps } from "../support/harness.ts";
import { InMemoryRecoveryStore, memoryRecovery } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";

const T0 = Date.UTC(2026, 10, 23, 14, 0, 0);
const S = DEFAULT_WATCH_SETTINGS; // 2 probes, 10 min flap window, 30 s interval, 10 min digest
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const quick = (r: StepResult[]) => r.filter((x) => QUICK.has(x.step));
const HEALTHY = quick(healthyResults());
const DOWN = quick(toResults(gatewayDownData()));
const DRIFT = quick(toResults(tokenDriftData()));

const obs = (healthy: boolean, at: number, seq: number): WatchObservation => ({
  at,
  seq,
  hash: healthy ? "h-ok" : "h-down",
  healthy,
  layers: {},
  findingIds: healthy ? [] : ["gateway-down"],
  reason: healthy ? "every probed layer ok" : "Gateway not running",
  falseGreen: null,
});

/** Feeds one probe per 30 s: a state when the health differs from the last, else a digest. */
function feed(start: WatchRecord | null, healths: boolean[], t0: number) {
  let rec = start;
  const transitions = [];
  let t = t0;
  for (const [i, healthy] of healths.entries()) {
    const step =
      rec && rec.last.healthy === healthy
        ? confirm(rec, { at: t, seq: i, hash: rec.last.hash }, t, S)
        : observe(rec, "node-3", obs(healthy, t, i), t, S);
    rec = step.record;
    if (step.transition) transitions.push(step.transition);
    t += 30_000;
  }
  return { record: rec as WatchRecord, transitions, t };
}

/** One freeze rule: a gateway-down host is frozen, the freeze lifting after 5 min healthy. */
const DOWN_RULE: FreezePolicy = parseFreezePolicy(
  { rules: [{ name: "down", findings: ["gateway-down"], liftAfterHealthyMin: 5 }] },
  "test",
);

describe("watch transitions (fake clock)", () => {
  it("a failure counts once it held two probes; one bad probe is not an incident; the recovery says how long", () => {
    const blip = feed(null, [true, true, false, true, true], T0);
    expect(blip.transitions).toEqual([]); // the first health seen, healthy, is not news; one bad probe neither
    const down = feed(blip.record, [false, false, false], blip.t);
    expect(down.transitions).toHaveLength(1);
    expect(down.transitions[0]).toMatchObject({
      healthy: false,
      since: blip.t,
      action: "post",
      findingIds: ["gateway-down"],
    });
    const up = feed(down.record, [true, true], down.t);
    expect(up.transitions).toHaveLength(1);
    expect(up.transitions[0]).toMatchObject({ healthy: true, since: down.t, failingSince: blip.t, action: "post" });
  });

  it("a host failing when first watched opens an incident", () => {
    const { transitions } = feed(null, [false, false], T0);
    expect(transitions.map((t) => [t.healthy, t.action])).toEqual([[false, "post"]]);
  });

  it("flapping: down and its recovery are posted, later flips in the window are counted, the window's end sums them up once", () => {
    // down (held at +30 s), up (held at +90 s), then down/up/down every two probes: all inside 10 min.
    const run = feed(null, [true, true, false, false, true, true, false, false, true, true, false, false], T0);
    expect(run.transitions.map((t) => `${t.healthy ? "up" : "down"}:${t.action}`)).toEqual([
      "down:post",
      "up:post",
      "down:suppressed",
      "up:suppressed",
      "down:suppressed",
    ]);
    expect(run.record.flap?.suppressed).toBe(3);
    const windowStart = (rec: WatchRecord) => {
      if (!rec.flap) throw new Error("no flap window");
      return rec.flap.start;
    };
    // Before the window ends: nothing to say.
    expect(sweep(run.record, windowStart(run.record) + S.flapWindowMs - 1, S).summary).toBeNull();
    const end = sweep(run.record, windowStart(run.record) + S.flapWindowMs, S);
    expect(end.summary?.window.suppressed).toBe(3);
    expect(end.summary?.now).toMatchObject({ healthy: false });
    // Still flipping: the next window counts everything, the recovery included, for its own summary.
    const next = feed(end.record, [true, true], windowStart(run.record) + S.flapWindowMs + 1_000);
    expect(next.transitions.map((t) => t.action)).toEqual(["suppressed"]);
    const quiet = sweep(next.record, windowStart(end.record) + S.flapWindowMs, S);
    expect(quiet.summary?.window.suppressed).toBe(1);
    // A window with nothing counted closes without a word; the next failure is posted again.
    const closed = sweep(quiet.record, windowStart(quiet.record) + S.flapWindowMs, S);
    expect(closed.summary).toBeNull();
    expect(closed.record.flap).toBeNull();
    const again = feed(closed.record, [false, false], windowStart(quiet.record) + S.flapWindowMs + 5_000);
    expect(again.transitions.map((t) => t.action)).toEqual(["post"]);
  });

  it("an agent silent past its digest period (plus two intervals) turns stale; its next report makes it fresh", () => {
    const { record, t } = feed(null, [true, true], T0);
    const lastReport = record.reportedAt;
    expect(sweep(record, lastReport + S.digestMs + 2 * S.intervalMs, S).record.stale).toBeNull();
    const stale = sweep(record, lastReport + S.digestMs + 2 * S.intervalMs + 1, S);
    expect(stale.changed).toBe(true);
    expect(stale.record.stale).toMatchObject({ at: lastReport });
    const back = confirm(stale.record, { at: t, seq: 9, hash: record.last.hash }, t + S.digestMs * 2, S);
    expect(back.record.stale).toBeNull();
    expect(back.transition).toBeNull();
  });

  it("nextSweepAt: when a runtime without a periodic sweep must wake (silence, being lost, a flap window's end), and not again once lost", () => {
    const { record } = feed(null, [true, true], T0);
    const silentAt = nextSweepAt(record, S);
    expect(silentAt).toBe(record.reportedAt + S.digestMs + 2 * S.intervalMs + 1);
    // Woken then, the sweep finds it silent; a moment earlier it does not.
    expect(sweep(record, (silentAt as number) - 1, S).changed).toBe(false);
    const stale = sweep(record, silentAt as number, S).record;
    expect(stale.stale).not.toBeNull();
    // Stale: the next wake is the moment it counts as lost (its silence began, plus the restart
    // allowance); once told lost, nothing is left to wake for.
    expect(nextSweepAt(stale, S)).toBe((stale.stale?.at as number) + S.lostAfterMs);
    expect(sweep(stale, silentAt as number, S).lost).toBe(true);
    expect(nextSweepAt({ ...stale, lost: { at: silentAt as number } }, S)).toBeNull();
    // A failure opens a flap window: its end comes first when it is nearer than the silence.
    const down = feed(record, [false, false], T0 + 60_000).record;
    const flapEnd = (down.flap?.start as number) + S.flapWindowMs;
    expect(nextSweepAt(down, { ...S, digestMs: S.flapWindowMs * 2 })).toBe(flapEnd);
    const gone = { ...down, stale: { reason: "agent disconnected (close 1006)", at: T0 } };
    expect(nextSweepAt(gone, S)).toBe(T0 + S.lostAfterMs);
    expect(nextSweepAt({ ...gone, lost: { at: T0 + S.lostAfterMs } }, S)).toBe(flapEnd);
  });

  it("what the agent compares ignores timings: a steady gateway sends nothing new", () => {
    const later = HEALTHY.map((r) => ({ ...r, durationMs: r.durationMs + 17 }));
    expect(watchComparable(later)).toBe(watchComparable(HEALTHY));
    // Seen on a real gateway between two probes: /readyz's event-loop figures, the process running or sleeping.
    const running = structuredClone(HEALTHY) as unknown as { data: Record<string, unknown> }[];
    const sleeping = structuredClone(HEALTHY) as unknown as { data: Record<string, unknown> }[];
    for (const [i, results] of [running, sleeping].entries()) {
      const http = results.find((r) => "readyz" in r.data)?.data as { readyz: Record<string, unknown> };
      http.readyz = { ...http.readyz, body: { ready: true, eventLoop: { delayP99Ms: 3 + i } } };
      const ports = results.find((r) => "gatewayProcesses" in r.data)?.data as {
        gatewayProcesses: { state?: string }[];
      };
      for (const p of ports.gatewayProcesses) p.state = i === 0 ? "R" : "S";
    }
    expect(watchComparable(running as unknown as StepResult[])).toBe(
      watchComparable(sleeping as unknown as StepResult[]),
    );
    const stopped = structuredClone(sleeping);
    const ports = stopped.find((r) => "gatewayProcesses" in r.data)?.data as { gatewayProcesses: { state?: string }[] };
    for (const p of ports.gatewayProcesses) p.state = "T";
    expect(ports.gatewayProcesses.length).toBeGreaterThan(0);
    expect(watchComparable(stopped as unknown as StepResult[])).not.toBe(
      watchComparable(sleeping as unknown as StepResult[]),
    );
    expect(watchComparable(DOWN)).not.toBe(watchComparable(HEALTHY));
  });

  it("classifies a quick probe with the triage classifier: a stopped gateway fails, a healthy one does not", () => {
    const ok = watchObservation(HEALTHY, { at: T0, seq: 1, hash: "a" });
    expect(ok).toMatchObject({ healthy: true, findingIds: [] });
    const down = watchObservation(DOWN, { at: T0, seq: 2, hash: "b" });
    expect(down.healthy).toBe(false);
    expect(down.findingIds[0]).toBe("gateway-down");
    expect(down.layers.process).toBe("fail");
  });
});

class FakeClock {
  t = T0;
  now = () => this.t;
}

function rig(opts: { channel?: boolean; policy?: FreezePolicy } = {}) {
  const clock = new FakeClock();
  const store = new InMemoryStore();
  const posts: (ChatMessage & { ts: string })[] = [];
  let n = 0;
  const chat: ChatPort = {
    async postMessage(m) {
      const ts = `1790000000.${String(++n).padStart(6, "0")}`;
      posts.push({ ...m, ts });
      return { ts };
    },
    async updateMessage() {},
  };
  const jobs = new RecordingJobs();
  const started = jobs.started;
  const logger = collectingLogger();
  const recoveryStore = new InMemoryRecoveryStore();
  const online = new Set<string>();
  const deps = testDeps({
    store,
    chat,
    clock,
    ids: { id: (p) => `${p}_${++n}` },
    logger,
    transport: {
      isOnline: async (h) => online.has(h),
      dispatch: async () => ({ status: "lost", reason: "not in this test", results: [] }),
    },
    jobs,
    incidents: parseIncidentRouting(opts.channel === false ? undefined : "C0INCIDENT", "edge-*=C0EDGE"),
    watch: { intervalMs: S.intervalMs, digestMs: S.digestMs },
    recovery: memoryRecovery({ store: recoveryStore }),
  });
  const watch = new WatchService(deps, opts.policy ? { freezePolicy: opts.policy } : {});
  const host = (name: string): HostRecord => ({
    name,
    publicKey: "k",
    enrolledAt: T0,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion: null,
    lastSeenAt: T0,
  });
  let seq = 0;
  /** One probe of `name` 30 s after the last: a state when its results changed, else a digest. */
  const probe = async (name: string, results: StepResult[]) => {
    clock.t += 30_000;
    // As the agent hashes what the watch compares: a changed failure is a new state, not a digest.
    const hash = createHash("sha256").update(watchComparable(results)).digest("hex").slice(0, 16);
    const prev = await store.getWatch(name);
    await watch.receive(
      name,
      prev?.last.hash === hash
        ? { type: "watch.digest", seq: ++seq, at: clock.t, hash }
        : { type: "watch.state", seq: ++seq, at: clock.t, hash, results },
    );
    await watch.idle();
  };
  return { clock, store, posts, started, logger, recoveryStore, online, deps, watch, host, probe };
}

describe("the watch service", () => {
  it("a gateway going down opens the host's thread with a triage by clawops watch, once; its recovery is said there", async () => {
    const r = rig();
    await r.store.insertHost(r.host("node-3"));
    await r.probe("node-3", HEALTHY);
    await r.probe("node-3", HEALTHY);
    await r.probe("node-3", DOWN);
    expect(r.posts).toEqual([]); // one probe is not yet an incident
    const downSince = r.clock.t;
    await r.probe("node-3", DOWN);
    await r.probe("node-3", DOWN);
    const [header, notice] = r.posts;
    expect(r.posts).toHaveLength(2);
    expect(header?.channel).toBe("C0INCIDENT");
    expect(header?.text).toBe("Incident: OpenClaw gateway on node-3");
    expect(JSON.stringify(header?.parts)).toContain("Opened by *clawops watch*");
    expect(notice?.threadTs).toBe(header?.ts);
    expect(notice?.text).toMatch(/^Watch: node-3 failing since 14:01:30 UTC: /);
    expect(r.started).toHaveLength(1);
    expect(r.started[0]?.job).toMatchObject({
      kind: "triage",
      host: "node-3",
      channel: "C0INCIDENT",
      user: "clawops watch",
      requestKey: `watch:node-3:${downSince}`,
    });

    await r.probe("node-3", HEALTHY);
    const upSince = r.clock.t;
    await r.probe("node-3", HEALTHY);
    expect(r.posts).toHaveLength(3);
    expect(r.posts[2]).toMatchObject({ channel: "C0INCIDENT", threadTs: header?.ts });
    expect(r.posts[2]?.text).toBe(
      `Watch: node-3 recovered at 14:03:00 UTC after ${Math.round((upSince - downSince) / 60_000)} min`,
    );
    expect(r.started).toHaveLength(1);
  });

  it("routes by host glob; with no incident channel it posts nothing and logs why", async () => {
    const routed = rig();
    await routed.store.insertHost(routed.host("edge-1"));
    for (let i = 0; i < 2; i++) await routed.probe("edge-1", DOWN);
    expect(routed.posts[0]?.channel).toBe("C0EDGE");

    const r = rig({ channel: false });
    await r.store.insertHost(r.host("node-5"));
    for (let i = 0; i < 2; i++) await r.probe("node-5", DOWN);
    expect(r.posts).toEqual([]);
    expect(r.started).toEqual([]);
    expect(r.logger.messages("warn").some((m) => /no incident channel/.test(m))).toBe(true);
  });

  it("hands each held transition to the freeze policy with the incident's thread: a covered failure freezes the host there; its recovery starts the lift clock", async () => {
    const r = rig({ policy: DOWN_RULE });
    await r.store.insertHost(r.host("node-3"));
    await r.probe("node-3", DOWN);
    await r.probe("node-3", DOWN);
    const frozen = await r.recoveryStore.getFreeze("node-3");
    expect(frozen).toMatchObject({ owner: "clawops (automatic)", auto: { rule: "down", healthySince: null } });
    // The notice goes into the thread the watch's incident opened, after the watch's own line.
    const [header, line, notice] = r.posts;
    expect(r.posts).toHaveLength(3);
    expect(header?.text).toBe("Incident: OpenClaw gateway on node-3");
    expect(line?.text).toMatch(/^Watch: node-3 failing since/);
    expect(notice?.text).toMatch(/^node-3 is frozen automatically \(gateway-down\); lifts after 5 min healthy/);
    expect([line?.threadTs, notice?.threadTs]).toEqual([header?.ts, header?.ts]);
    expect(frozen?.notices).toEqual([{ channel: "C0INCIDENT", threadTs: header?.ts }]);
    await r.probe("node-3", HEALTHY);
    const upSince = r.clock.t;
    await r.probe("node-3", HEALTHY);
    expect((await r.recoveryStore.getFreeze("node-3"))?.auto?.healthySince).toBe(upSince);

    // With no incident channel the freeze is still placed; its notice has nowhere to go.
    const unrouted = rig({ channel: false, policy: DOWN_RULE });
    await unrouted.store.insertHost(unrouted.host("node-5"));
    for (let i = 0; i < 2; i++) await unrouted.probe("node-5", DOWN);
    expect(await unrouted.recoveryStore.getFreeze("node-5")).toMatchObject({ owner: "clawops (automatic)" });
    expect(unrouted.posts).toEqual([]);
  });

  it("a held failure whose findings change to ones a freeze rule covers is frozen then, once (a gateway caught while stopping)", async () => {
    const r = rig({ policy: DOWN_RULE });
    await r.store.insertHost(r.host("node-3"));
    // Held failing on a finding no rule names: the incident, no freeze.
    await r.probe("node-3", DRIFT);
    await r.probe("node-3", DRIFT);
    expect(await r.recoveryStore.getFreeze("node-3")).toBeNull();
    expect(r.posts).toHaveLength(2);
    // Still failing, now gateway-down (the held failure keeps its findings current): the rule
    // covers it, and the notice goes into the same thread.
    await r.probe("node-3", DOWN);
    expect(await r.recoveryStore.getFreeze("node-3")).toMatchObject({ auto: { rule: "down", healthySince: null } });
    const [header, , notice] = r.posts;
    expect(notice?.text).toMatch(/^node-3 is frozen automatically \(gateway-down\)/);
    expect(notice?.threadTs).toBe(header?.ts);
    // The same findings again: nothing more.
    await r.probe("node-3", DOWN);
    expect(r.posts).toHaveLength(3);
  });

  it("a flapping host gets its down and recovery, then one summary for the rest of the window", async () => {
    const r = rig();
    await r.store.insertHost(r.host("node-3"));
    const seq = [HEALTHY, HEALTHY, DOWN, DOWN, HEALTHY, HEALTHY, DOWN, DOWN, HEALTHY, HEALTHY, DOWN, DOWN];
    for (const results of seq) await r.probe("node-3", results);
    expect(r.posts.map((p) => p.text.split(":")[0] + (p.text.includes("recovered") ? " recovered" : ""))).toEqual([
      "Incident",
      "Watch",
      "Watch recovered",
    ]);
    expect(r.started).toHaveLength(1);
    r.clock.t += S.flapWindowMs;
    await r.watch.sweep();
    expect(r.posts).toHaveLength(4);
    expect(r.posts[3]?.text).toMatch(/^Watch: node-3 flapped 3 times between .* now failing since/);
    await r.watch.sweep();
    expect(r.posts).toHaveLength(4);
  });

  it("status from the watch: each row's age, a disconnected agent stale (not healthy), a host never watched", async () => {
    const r = rig();
    for (const h of ["node-1", "node-2", "node-3", "node-4"]) await r.store.insertHost(r.host(h));
    await r.probe("node-1", HEALTHY);
    await r.probe("node-1", HEALTHY);
    await r.probe("node-2", HEALTHY);
    await r.probe("node-2", HEALTHY);
    await r.watch.gone("node-2", "agent disconnected (close 1006)");
    r.online.add("node-3");
    r.clock.t += 12_000;
    const report = await fleetFromWatch(r.deps, { kind: "all" }, S);
    const rows = Object.fromEntries(report.rows.map((x) => [x.host, x]));
    expect(rows["node-1"]).toMatchObject({ state: "ok", ageMs: 72_000 });
    expect(rows["node-2"]).toMatchObject({ state: "stale", layers: {} });
    expect(rows["node-2"]?.reason).toBe("agent disconnected (close 1006); last state healthy");
    expect(rows["node-3"]?.state).toBe("unwatched");
    expect(rows["node-4"]?.state).toBe("offline");
    expect(report.counts).toMatchObject({ ok: 1, stale: 1, unwatched: 1, offline: 1 });
    expect(report.source).toBe("watch");
  });
});
