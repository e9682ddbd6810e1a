import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../scripts/build-agent.ts";
import type { WatchDigestFrame, WatchStateFrame } from "../src/contract/agent-wire.ts";
import { fleetFromWatch } from "../src/core/fleet/from-watch.ts";
import { renderFleetStatus } from "../src/core/fleet/render.ts";
import { DEFAULT_WATCH_SETTINGS } from "../src/core/hosts/watch-state.ts";
import { issueEnrollmentCode } from "../src/core/hub/enrollment.ts";
import { parseAgentFrame } from "../src/core/hub/protocol.ts";
import { WatchService } from "../src/core/watch/service.ts";
import { startControlPlane } from "../src/node/server.ts";
import { SqliteStore } from "../src/node/sqlite-store.ts";
import { enrollAgent, runAgent } from "../test/support/agent-process.ts";
import { gatewayDownData, healthyResults, toResults } from "../test/support/evidence.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";
import { vmRssKb } from "./fleet.ts";
import { percentile } from "./stats.ts";
import { quietLogger, stubCoreDeps } from "./stub-deps.ts";

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/**
 * The watch's budgets (docs/watch.md, docs/benchmarks.md#the-watch):
 * - the agent (the bundle, run as the service runs it) watching a real, healthy OpenClaw
 *   gateway: resident memory, and CPU per quick probe, measured at a 1 s interval and scaled
 *   to the default 30 s; the frames it sent (states vs digests) and their bytes;
 * - the control plane's cost per watching host: a frame parsed and handled (classified,
 *   stored in SQLite), in process, and the stored state's size;
 * - `status all` from the stored state over N simulated hosts on Node.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A phase is measured from this long after its agent starts (at least 3 s after its first frame). */
const START_UP_MS = 20_000;

export interface AgentWatchBench {
  seconds: number;
  /** The phase's measured span (its `seconds`, plus the reads between them). */
  wallS: number;
  intervalS: number;
  probes: number;
  /** Probes in the phase that carried the host readings of an earlier full read (the agent's debug log). */
  carried: number;
  /** Probes that carried them after a scan of the processes (tasks had been created on the host). */
  rescanned: number;
  states: number;
  digests: number;
  stateBytes: number;
  digestBytes: number;
  rssMaxMb: number;
  rssMedianMb: number;
  /** NaN for the idle phase (interval 0: the watch off). */
  cpuMsPerProbe: number;
  /** The agent's CPU per minute of the phase, all of it (the idle phase: what it spends between probes). */
  cpuMsPerMinute: number;
  cpuPct: number;
  /** Fields whose value differed between two states of the steady gateway (should be none). */
  changedPaths: string[];
}

/**
 * A real agent (the bundle, as the service runs it) watching a real healthy gateway: one phase
 * per interval, each a fresh agent process (the interval set with CLAWOPS_WATCH_INTERVAL_S).
 * Interval 0 turns the watch off: the agent's own work between probes (heartbeats, the doctor
 * cache's key check), which the other phases' CPU per probe includes.
 */
export async function benchAgentWatch(opts: {
  phases: { intervalS: number; seconds: number }[];
  log: (s: string) => void;
}): Promise<AgentWatchBench[]> {
  const install = await ensureOpenclaw();
  const gw = await RealGateway.create(install);
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-bench-watch-"));
  const bundle = join(mkdtempSync(join(tmpdir(), "clawops-bench-bundle-")), "clawops-agent.mjs");
  await buildAgent(bundle);
  const cp = await startControlPlane({
    port: 0,
    bind: "127.0.0.1",
    dataDir,
    console: true,
    logger: quietLogger,
    heartbeatMs: 60_000,
    // A digest period shorter than any interval: every probe sends a frame (a state, or a digest),
    // and each carries the agent's probe number, so the probes are counted, not guessed from the
    // clock (at 1 s the agent completes only about 33 probes a minute: each takes 0.2 s or more).
    watch: { intervalMs: 30_000, digestMs: 1_000 },
  });
  const frames: (WatchStateFrame | WatchDigestFrame)[] = [];
  const receive = cp.watch.receive.bind(cp.watch);
  cp.watch.receive = (host, frame) => {
    frames.push(frame);
    return receive(host, frame);
  };
  const out: AgentWatchBench[] = [];
  try {
    opts.log("watch: starting a real gateway (≈15 s)…");
    await gw.start();
    const base = {
      ...process.env,
      ...gw.processEnv(),
      ...AGENT_SERVICE_ENV,
      CLAWOPS_OPENCLAW_BIN: install.openclawBin,
    };
    const launch = { entry: bundle, nodeArgs: AGENT_NODE_FLAGS };
    const { code } = await issueEnrollmentCode(cp.deps, "bench-watch");
    const dir = await enrollAgent({ server: cp.url, host: "bench-watch", code, env: base, launch });
    for (const phase of opts.phases) {
      frames.length = 0;
      const env = { ...base, CLAWOPS_WATCH_INTERVAL_S: String(phase.intervalS), LOG_LEVEL: "debug" };
      const agent = runAgent({ dir, env, launch });
      try {
        out.push(await measurePhase(agent, phase, frames, opts.log));
      } finally {
        await agent.kill();
      }
    }
    return out;
  } finally {
    await cp.close();
    await gw.dispose().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dirname(bundle), { recursive: true, force: true });
  }
}

async function measurePhase(
  agent: ReturnType<typeof runAgent>,
  phase: { intervalS: number; seconds: number },
  frames: (WatchStateFrame | WatchDigestFrame)[],
  log: (s: string) => void,
): Promise<AgentWatchBench> {
  const pid = agent.child.pid ?? 0;
  const started = performance.now();
  if (phase.intervalS > 0) {
    for (let i = 0; i < 300 && frames.length === 0; i++) await sleep(100);
    if (frames.length === 0) throw new Error(`the agent sent no watch frame:\n${agent.log()}`);
  }
  // Past start-up: connecting, the first probe, and the doctor cache's warm-up (kept in the
  // agent's folder after the first phase, so only the first phase runs `openclaw doctor`).
  await sleep(Math.max(3_000, START_UP_MS - (performance.now() - started)));
  // The CPU time of each of the agent's threads (its main thread, libuv's pool, V8's workers: all
  // live as long as the agent) in ns, from the scheduler: the process's `stat` counts 10 ms ticks,
  // too coarse for an idle agent (one or two ticks in two minutes).
  const cpuNs = () =>
    readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
      try {
        return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        return sum; // a thread that ended between the listing and the read
      }
    }, 0);
  const f0 = frames.length;
  const seq0 = frames.at(-1)?.seq ?? 0;
  const c0 = cpuNs();
  const t0 = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < phase.seconds; i++) {
    rss.push(vmRssKb(pid));
    await sleep(1_000);
  }
  const cpuS = (cpuNs() - c0) / 1e9;
  const wallS = (performance.now() - t0) / 1000;
  // The agent logs each probe at debug level (LOG_LEVEL=debug here): whether it carried the host
  // readings of an earlier probe or read them in full (src/agent/probes/readings-carry.ts).
  const since = Date.now() - wallS * 1000;
  const probeLines = agent
    .log()
    .split("\n")
    .filter((l) => l.includes('"msg":"watch probe"'))
    .map((l) => JSON.parse(l) as { t: string; hostReadings: string })
    .filter((l) => Date.parse(l.t) >= since);
  const carried = probeLines.filter((l) => l.hostReadings === "carried").length;
  const rescanned = probeLines.filter((l) => l.hostReadings === "rescanned").length;
  const window = frames.slice(f0);
  // Probes run in the window: the agent's probe number, which every probe's frame carries here.
  const lastSeq = frames.at(-1)?.seq ?? seq0;
  const probes = phase.intervalS > 0 ? Math.max(1, lastSeq - seq0) : 0;
  const states = window.filter((f) => f.type === "watch.state").length;
  const allStates = frames.filter((f): f is WatchStateFrame => f.type === "watch.state");
  const firstDigest = frames.find((f) => f.type === "watch.digest");
  const r: AgentWatchBench = {
    seconds: phase.seconds,
    wallS,
    intervalS: phase.intervalS,
    probes,
    carried,
    rescanned,
    states,
    digests: window.length - states,
    stateBytes: allStates[0] ? JSON.stringify(allStates[0]).length : 0,
    digestBytes: firstDigest ? JSON.stringify(firstDigest).length : 0,
    rssMaxMb: Math.max(...rss) / 1024,
    rssMedianMb: median(rss) / 1024,
    cpuMsPerProbe: probes > 0 ? (cpuS * 1000) / probes : Number.NaN,
    cpuMsPerMinute: (cpuS * 60_000) / wallS,
    cpuPct: (cpuS / wallS) * 100,
    changedPaths: allStates.length >= 2 ? changedPaths(allStates[0]?.results, allStates[1]?.results) : [],
  };
  log(
    `watch: agent at ${phase.intervalS || "off"} s: ${r.probes} probes (host readings carried ${r.carried}, after a process scan ${r.rescanned}), ${r.cpuMsPerMinute.toFixed(1)} ms CPU/min, ${r.states} states + ${r.digests} digests, rss max ${r.rssMaxMb.toFixed(1)} MB, ${r.cpuMsPerProbe.toFixed(1)} ms CPU/probe, ${r.cpuPct.toFixed(3)} % CPU; changed: ${r.changedPaths.join(", ") || "none"}`,
  );
  return r;
}

/** Leaf paths whose values differ between two JSON values. */
function changedPaths(a: unknown, b: unknown, path = ""): string[] {
  if (a === b) return [];
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return [path || "."];
}

export interface HubWatchBench {
  hosts: number;
  stateFrameUs: number;
  digestFrameUs: number;
  storedBytesPerHost: number;
  /** One sweep (stale agents, ended flap windows) over every host, after the first. */
  sweepMs: number;
}

/** The control plane's side per watching host: parse + classify + store one state frame, one digest. */
export async function benchHubWatch(opts: { hosts: number }): Promise<HubWatchBench> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-bench-hubwatch-"));
  const store = new SqliteStore(join(dir, "clawops.sqlite"));
  try {
    const deps = stubCoreDeps(store);
    const watch = new WatchService(deps);
    const quickSteps = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
    const healthy = healthyResults().filter((r) => quickSteps.has(r.step));
    const down = toResults(gatewayDownData()).filter((r) => quickSteps.has(r.step));
    const stateRaw = (host: number, seq: number) =>
      JSON.stringify({
        type: "watch.state",
        seq,
        at: Date.now(),
        hash: `h${host}-${seq % 2}`,
        results: seq % 2 ? down : healthy,
      });
    // States: every host changes once (parse + classify + store).
    let t = performance.now();
    for (let h = 0; h < opts.hosts; h++) {
      const parsed = parseAgentFrame(stateRaw(h, 0));
      if (!parsed.ok || parsed.frame.type !== "watch.state") throw new Error("bad frame");
      await watch.receive(`host-${h}`, parsed.frame);
    }
    const stateFrameUs = ((performance.now() - t) * 1000) / opts.hosts;
    t = performance.now();
    for (let h = 0; h < opts.hosts; h++) {
      const parsed = parseAgentFrame(JSON.stringify({ type: "watch.digest", seq: 1, at: Date.now(), hash: `h${h}-0` }));
      if (!parsed.ok || parsed.frame.type !== "watch.digest") throw new Error("bad frame");
      await watch.receive(`host-${h}`, parsed.frame);
    }
    const digestFrameUs = ((performance.now() - t) * 1000) / opts.hosts;
    const rows = store.db.prepare("SELECT SUM(LENGTH(state)) AS n FROM host_watch").get() as { n: number };
    await watch.sweep(); // loads its index once
    t = performance.now();
    await watch.sweep();
    const sweepMs = performance.now() - t;
    return { hosts: opts.hosts, stateFrameUs, digestFrameUs, storedBytesPerHost: rows.n / opts.hosts, sweepMs };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StatusFromWatchBench {
  hosts: number;
  medianMs: number;
  maxMs: number;
}

/** `status all` from the stored watch state (read, build the rows, render the matrix) over N hosts. */
export async function benchStatusFromWatch(opts: { hosts: number; runs: number }): Promise<StatusFromWatchBench> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-bench-status-"));
  const store = new SqliteStore(join(dir, "clawops.sqlite"));
  try {
    const now = Date.now();
    const healthy = healthyResults().filter((r) =>
      ["gateway.http", "gateway.ws", "port.listeners", "config"].includes(r.step),
    );
    const deps = stubCoreDeps(store);
    const watch = new WatchService(deps);
    for (let h = 0; h < opts.hosts; h++) {
      const name = `node-${h}`;
      await store.insertHost({
        name,
        publicKey: "k",
        enrolledAt: now,
        revokedAt: null,
        agentVersion: "0.1.0",
        gatewayVersion: null,
        lastSeenAt: now,
      });
      await watch.receive(name, {
        type: "watch.state",
        seq: 1,
        at: now,
        hash: "h",
        results:
          h % 50 === 0 ? toResults(gatewayDownData()).filter((r) => healthy.some((x) => x.step === r.step)) : healthy,
      });
    }
    const times: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const t = performance.now();
      const report = await fleetFromWatch(deps, { kind: "all" }, DEFAULT_WATCH_SETTINGS);
      renderFleetStatus(report);
      times.push(performance.now() - t);
      if (report.rows.length !== opts.hosts) throw new Error("rows missing");
    }
    return { hosts: opts.hosts, medianMs: median(times), maxMs: Math.max(...times) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
