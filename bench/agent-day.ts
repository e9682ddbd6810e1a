import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../scripts/build-agent.ts";
import { enrollAgent, runAgent } from "../test/support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../test/support/control-plane-process.ts";
import { until } from "../test/support/until.ts";
import { consoleCommand, consoleJob, cpuMs, gatewaylessAgentEnv, registerConsole, sleep } from "./fleet.ts";
import { percentile } from "./stats.ts";

/**
 * The agent's compressed day (docs/benchmarks.md, issue 31's budgets): the bundle, run as the
 * service runs it (AGENT_NODE_FLAGS, AGENT_SERVICE_ENV), enrolled with a real control plane
 * (bench/agent-day-plane.ts, its own process) and reaching it through a TCP relay of this bench's,
 * lives through `scale` × (2,000 triages, 100,000 watch probes, 500 reconnects) spread evenly
 * over the day; its RSS and open file descriptors are read from /proc all along, and in a quiet
 * window at the start, the middle and the end. The budget: RSS grows ≤ 2 MB over the second
 * half, and the descriptors do not grow.
 *
 * The agent has no gateway (gatewaylessAgentEnv): the budget is about the agent's own growth,
 * and a gateway's (its CLI, its answers) is not what is measured; every probe fails fast.
 *
 * - Triages: `triage <host>` sent to the console API as the console and `clawops` send it, one at
 *   a time, each followed until the job ended (done, or failed when a reconnect cut it).
 * - Watch probes: the agent's own, at CLAWOPS_WATCH_INTERVAL_S=0.01 (back to back: a probe costs
 *   more than 10 ms of CPU); the control plane's digest period of 1 ms makes the agent send a frame
 *   after every probe, so the control plane counts them (each frame carries the agent's probe count).
 * - Reconnects, in a fixed pattern of ten: two control-plane restarts (SIGKILL and SIGTERM in
 *   turn, started again on the same port and data folder), three half-open links (the relay
 *   stops carrying the link both ways and closes nothing; the agent notices by its silence budget,
 *   the hub by its pings), five plain drops (the relay resets both sides). The hub's heartbeat is
 *   1 s instead of 15 s, so a half-open link costs 3 s instead of 31 s.
 */

export const DAY = { triages: 2_000, probes: 100_000, reconnects: 500 } as const;
const HOST = "agent-day";
const HEARTBEAT_MS = 1_000;
/** The agent's probe interval (CLAWOPS_WATCH_INTERVAL_S): shorter than a probe, so back to back. */
const PROBE_INTERVAL_S = 0.01;
/** A quiet window (no triage, no reconnect; the probes go on) where RSS and descriptors are read. */
export const WINDOW_MS = 20_000;
type ReconnectKind = "restart (SIGKILL)" | "restart (SIGTERM)" | "half-open" | "drop";
const PATTERN: ("restart" | "half-open" | "drop")[] = [
  "restart",
  "half-open",
  "drop",
  "drop",
  "half-open",
  "restart",
  "drop",
  "half-open",
  "drop",
  "drop",
];

export interface Checkpoint {
  label: string;
  atS: number;
  probes: number;
  rssMedianKb: number;
  rssMinKb: number;
  rssMaxKb: number;
  /** Of the RSS (medians): anonymous memory (heaps, malloc), and file pages (the node binary's code touched so far). */
  rssAnonKb: number;
  rssFileKb: number;
  fdMin: number;
  fdMedian: number;
  fdMax: number;
  /** What the descriptors were when fewest: socket, pipe, anon_inode:[eventpoll], a path. */
  fdKinds: Record<string, number>;
}

export interface AgentDay {
  scale: number;
  planned: { triages: number; probes: number; reconnects: Record<ReconnectKind, number> };
  wallS: number;
  checkpoints: Checkpoint[];
  rssGrowthSecondHalfKb: number;
  fdGrowthSecondHalf: number;
  triages: Record<string, number>;
  /** `triage` answered without a job (the host offline: a reconnect under way): sent again. */
  triageRetries: number;
  /** The agent's probe count (the seq of its frames), over the day. */
  probesRun: number;
  /** Watch frames the control plane received over the day (probes whose frame got through). */
  probeFrames: number;
  reconnects: Record<ReconnectKind, number>;
  /** Handshakes the hub welcomed after the first, and agents it dropped for missed pings. */
  hubWelcomes: number;
  hubMissedPings: number;
  /** From the agent's own log: connections welcomed after the first, silent links it dropped, jobs it finished. */
  agentConnects: number;
  agentSilentDrops: number;
  agentJobs: number;
  agentCpuS: number;
  /** The agent's peak RSS (VmHWM) at the end, kB. */
  peakRssKb: number;
  /** Every 2 s: seconds since the start, RSS kB, RssAnon kB, open descriptors, probes so far. */
  series: [number, number, number, number, number][];
  /** Each reconnect and triage: seconds since the start, what. */
  events: [number, string][];
}

/** The day's counts at `scale`; each half gets half of each. */
export function dayPlan(scale: number) {
  const n = (x: number) => Math.max(2, 2 * Math.round((x * scale) / 2));
  const kinds: ReconnectKind[] = [];
  let restarts = 0;
  for (let i = 0; i < n(DAY.reconnects); i++) {
    const k = PATTERN[i % PATTERN.length] ?? "drop";
    kinds.push(k === "restart" ? (restarts++ % 2 === 0 ? "restart (SIGKILL)" : "restart (SIGTERM)") : k);
  }
  return { triages: n(DAY.triages), probes: n(DAY.probes), kinds };
}

/**
 * Carries TCP between the agent and the control plane, and can break the links it carries:
 * `drop` resets both sides; `blackhole` stops carrying anything either way and closes nothing
 * (a NAT that forgot the flow): each end learns only by its own silence budget. A blackholed
 * link's control-plane side stays open until the hub drops it (at most a minute).
 */
class Relay {
  private readonly links = new Set<{ agent: Socket; plane: Socket; dead: boolean }>();
  private readonly server: Server;
  constructor(targetPort: number) {
    this.server = createServer((agent) => {
      const plane = connect(targetPort, "127.0.0.1");
      const link = { agent, plane, dead: false };
      this.links.add(link);
      const end = () => {
        agent.destroy();
        plane.destroy();
        this.links.delete(link);
      };
      agent.on("data", (d) => link.dead || plane.write(d));
      plane.on("data", (d) => link.dead || agent.write(d));
      // A live link: one end closing closes the other. A blackholed one: neither end hears that
      // the other closed (each drops it by its own silence budget, or the timer below).
      const closed = () => {
        if (!link.dead) end();
        else if (agent.destroyed && plane.destroyed) this.links.delete(link);
      };
      for (const s of [agent, plane]) {
        s.on("close", closed);
        s.on("error", closed);
      }
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as { port: number }).port)),
    );
  }
  drop(): void {
    for (const l of this.links) {
      l.agent.resetAndDestroy();
      l.plane.resetAndDestroy();
    }
  }
  blackhole(): void {
    for (const l of this.links) {
      l.dead = true;
      setTimeout(() => {
        l.agent.destroy();
        l.plane.destroy();
        this.links.delete(l);
      }, 60_000).unref();
    }
  }
  close(): void {
    this.drop();
    this.server.close();
  }
}

/** Lines a process writes, one callback each (a chunk may end inside a line). */
function onLines(stream: NodeJS.ReadableStream | null | undefined, each: (line: string) => void): void {
  let rest = "";
  stream?.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) each(l);
  });
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** VmRSS, RssAnon, RssFile and VmHWM of a process, kB. */
function memory(pid: number): { rss: number; anon: number; file: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile"), peak: kb("VmHWM") };
}

function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = "?";
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/:\[\d+\]$/, "");
    } catch {}
    kinds[target] = (kinds[target] ?? 0) + 1;
  }
  return kinds;
}

export async function benchAgentDay(opts: { scale: number; log: (s: string) => void }): Promise<AgentDay> {
  const plan = dayPlan(opts.scale);
  const planned = Object.fromEntries(
    (["restart (SIGKILL)", "restart (SIGTERM)", "half-open", "drop"] as const).map((k) => [
      k,
      plan.kinds.filter((x) => x === k).length,
    ]),
  ) as Record<ReconnectKind, number>;
  opts.log(
    `agent-day: ${plan.triages} triages, ${plan.probes} probes, ${plan.kinds.length} reconnects (${JSON.stringify(planned)})…`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-bench-day-cp-"));
  const home = mkdtempSync(join(tmpdir(), "clawops-bench-day-home-"));
  const bundle = join(mkdtempSync(join(tmpdir(), "clawops-bench-bundle-")), "clawops-agent.mjs");
  await buildAgent(bundle);
  const hub = { welcomes: 0, missed: 0, frames: 0, seq: 0 };
  const planeEnv = {
    CLAWOPS_BENCH_PLANE: JSON.stringify({
      heartbeatMs: HEARTBEAT_MS,
      // Told to the agent in the welcome: a digest after every probe (CLAWOPS_WATCH_INTERVAL_S sets
      // its pace). The watch marks the host stale after 10 s without a frame.
      watch: { intervalMs: 5_000, digestMs: 1 },
    }),
  };
  const plane = async (port: string) => {
    const cp = await spawnControlPlane(
      { ...planeEnv, CLAWOPS_PORT: port },
      { dataDir, keepData: true, main: new URL("./agent-day-plane.ts", import.meta.url).pathname },
    );
    registerConsole(cp);
    onLines(cp.child.stdout, (line) => {
      if (line === "welcome") hub.welcomes++;
      else if (line === "missed") hub.missed++;
      else if (line.startsWith("watch ")) {
        hub.frames++;
        hub.seq = Math.max(hub.seq, Number(line.slice(6)));
      }
    });
    return cp;
  };
  let cp: ControlPlaneProcess = await plane("0");
  const port = new URL(cp.url).port;
  const relay = new Relay(Number(port));
  const relayUrl = `http://127.0.0.1:${await relay.listen()}`;
  const launch = { entry: bundle, nodeArgs: AGENT_NODE_FLAGS };
  const env = {
    ...process.env,
    ...AGENT_SERVICE_ENV,
    ...gatewaylessAgentEnv(home),
    CLAWOPS_WATCH_INTERVAL_S: String(PROBE_INTERVAL_S),
  };
  let agent: ReturnType<typeof runAgent> | null = null;
  try {
    const dir = await enrollAgent({
      server: cp.url,
      dir: join(home, "clawops-agent"),
      host: HOST,
      code: await cp.enrollmentCode(HOST),
      env,
      launch,
    });
    agent = runAgent({ dir, env, launch, server: relayUrl });
    const own = { connects: 0, silent: 0, jobs: 0 };
    onLines(agent.child.stderr, (line) => {
      if (line.includes('"msg":"connected to hub"')) own.connects++;
      else if (line.includes('"msg":"hub silent;')) own.silent++;
      else if (line.includes('"msg":"job finished"')) own.jobs++;
    });
    const pid = agent.child.pid ?? 0;
    const a = agent;
    await until("the agent connected", 30_000, () => hub.welcomes > 0 && hub.frames > 0).catch((err) => {
      throw new Error(`${err.message}\n${a.log().slice(-2000)}`);
    });
    const alive = () => {
      if (a.child.exitCode !== null || a.child.signalCode !== null)
        throw new Error(`the agent exited (${a.child.exitCode ?? a.child.signalCode}):\n${a.log().slice(-2000)}`);
    };
    const t0 = performance.now();
    const c0 = cpuMs(pid);
    const welcomes0 = hub.welcomes;
    const connects0 = own.connects;
    const seq0 = hub.seq;
    const frames0 = hub.frames;
    const jobs0 = own.jobs;
    const probes = () => hub.seq - seq0;
    const since = () => (performance.now() - t0) / 1000;
    const series: AgentDay["series"] = [];
    const events: AgentDay["events"] = [];
    const sampler = setInterval(() => {
      try {
        const m = memory(pid);
        series.push([Math.round(since()), m.rss, m.anon, readdirSync(`/proc/${pid}/fd`).length, probes()]);
      } catch {}
    }, 2_000);

    const checkpoint = async (label: string): Promise<Checkpoint> => {
      alive();
      const rss: number[] = [];
      const anon: number[] = [];
      const file: number[] = [];
      const fds: number[] = [];
      let fewest: Record<string, number> = {};
      for (let t = 0; t < WINDOW_MS; t += 250) {
        const m = memory(pid);
        rss.push(m.rss);
        anon.push(m.anon);
        file.push(m.file);
        const kinds = fdKinds(pid);
        const n = Object.values(kinds).reduce((x, y) => x + y, 0);
        if (fds.length === 0 || n < Math.min(...fds)) fewest = kinds;
        fds.push(n);
        await sleep(250);
      }
      const c: Checkpoint = {
        label,
        atS: since(),
        probes: probes(),
        rssMedianKb: median(rss),
        rssMinKb: Math.min(...rss),
        rssMaxKb: Math.max(...rss),
        rssAnonKb: median(anon),
        rssFileKb: median(file),
        fdMin: Math.min(...fds),
        fdMedian: median(fds),
        fdMax: Math.max(...fds),
        fdKinds: fewest,
      };
      opts.log(
        `agent-day ${label} (${Math.round(c.atS)} s, ${c.probes} probes): RSS ${(c.rssMedianKb / 1024).toFixed(1)} MB (${(c.rssMinKb / 1024).toFixed(1)}–${(c.rssMaxKb / 1024).toFixed(1)}), anon ${(c.rssAnonKb / 1024).toFixed(1)} MB, file ${(c.rssFileKb / 1024).toFixed(1)} MB, fds ${c.fdMin}/${c.fdMedian}/${c.fdMax}`,
      );
      return c;
    };

    const triages: Record<string, number> = {};
    let triageRetries = 0;
    const triageOne = async () => {
      let jobId: string | null = null;
      const t = performance.now();
      while (!jobId) {
        alive();
        if (performance.now() - t > 120_000) throw new Error("triage: no job in 2 min");
        // The control plane may be restarting (refused), or the host offline (no job): again shortly.
        jobId = (await consoleCommand(cp.url, `triage ${HOST}`).catch(() => null))?.jobId ?? null;
        if (!jobId) {
          triageRetries++;
          await sleep(200);
        }
      }
      for (;;) {
        const status = (await consoleJob(cp.url, jobId).catch(() => null))?.status ?? "running";
        if (status !== "running") {
          triages[status] = (triages[status] ?? 0) + 1;
          events.push([Math.round(since()), `triage ${status}`]);
          return;
        }
        if (performance.now() - t > 180_000) {
          triages.stuck = (triages.stuck ?? 0) + 1;
          return;
        }
        await sleep(50);
      }
    };

    const reconnects = Object.fromEntries(Object.keys(planned).map((k) => [k, 0])) as Record<ReconnectKind, number>;
    const reconnect = async (kind: ReconnectKind) => {
      const before = hub.welcomes;
      if (kind === "drop") relay.drop();
      else if (kind === "half-open") relay.blackhole();
      else {
        const old = cp;
        if (kind === "restart (SIGKILL)") {
          const exited = new Promise((r) => old.child.once("exit", r));
          old.child.kill("SIGKILL");
          await exited;
        } else await old.stop();
        cp = await plane(port);
      }
      await until(`the agent back after a ${kind}`, 90_000, () => {
        alive();
        return hub.welcomes > before;
      });
      reconnects[kind]++;
      events.push([Math.round(since()), kind]);
    };

    // Each half: its share of triages and reconnects, each one due when the probes reached its
    // place in the day, so the three are spread over it evenly; the half ends when all are done.
    const half = async (h: 0 | 1) => {
      const slice = <T>(xs: T[]) => xs.slice((h * xs.length) / 2, ((h + 1) * xs.length) / 2);
      const due = (i: number, of: number) =>
        until(
          "probes",
          3_600_000,
          () => {
            alive();
            return probes() >= (i / of) * plan.probes;
          },
          50,
        );
      const triageIdx = slice([...Array(plan.triages).keys()]);
      const kindIdx = slice([...plan.kinds.keys()]);
      await Promise.all([
        (async () => {
          for (const i of triageIdx) {
            await due(i, plan.triages);
            await triageOne();
          }
        })(),
        (async () => {
          for (const i of kindIdx) {
            await due(i, plan.kinds.length);
            await reconnect(plan.kinds[i] as ReconnectKind);
          }
        })(),
        due(h + 1, 2),
      ]);
      opts.log(
        `agent-day: half ${h + 1} done at ${Math.round(since())} s: ${probes()} probes, ${JSON.stringify(triages)}, ${JSON.stringify(reconnects)}`,
      );
    };

    const checkpoints = [await checkpoint("start")];
    await half(0);
    checkpoints.push(await checkpoint("middle"));
    await half(1);
    checkpoints.push(await checkpoint("end"));
    clearInterval(sampler);
    const [mid, end] = [checkpoints[1] as Checkpoint, checkpoints[2] as Checkpoint];
    return {
      scale: opts.scale,
      planned: { triages: plan.triages, probes: plan.probes, reconnects: planned },
      wallS: since(),
      checkpoints,
      rssGrowthSecondHalfKb: end.rssMedianKb - mid.rssMedianKb,
      fdGrowthSecondHalf: end.fdMin - mid.fdMin,
      triages,
      triageRetries,
      probesRun: probes(),
      probeFrames: hub.frames - frames0,
      reconnects,
      hubWelcomes: hub.welcomes - welcomes0,
      hubMissedPings: hub.missed,
      agentConnects: own.connects - connects0,
      agentSilentDrops: own.silent,
      agentJobs: own.jobs - jobs0,
      agentCpuS: (cpuMs(pid) - c0) / 1000,
      peakRssKb: memory(pid).peak,
      series,
      events,
    };
  } finally {
    await agent?.kill();
    relay.close();
    // A control plane killed and not started again (its start failed) has nothing left to stop.
    if (cp.child.exitCode === null && cp.child.signalCode === null) await cp.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
    rmSync(dirname(bundle), { recursive: true, force: true });
  }
}
