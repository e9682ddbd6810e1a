import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AGENT_SERVICE_ENV } from "../scripts/build-agent.ts";
import { startControlPlane } from "../src/node/server.ts";
import { type AgentLaunch, enrollAgent, runAgent } from "../test/support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../test/support/control-plane-process.ts";
import { newSimIdentity, type SimAgentSpec, type SimProfile, type SimStats } from "../test/support/sim-agents.ts";
import { startTlsProxy, type TlsProxy } from "../test/support/tls-proxy.ts";
import { percentile } from "./stats.ts";

/**
 * Fleet benchmarks. Simulated agents are real `ws` clients in separate child processes
 * (bench/sim-agents-child.ts), each with a real enrolled Ed25519 identity, speaking the real
 * agent wire protocol and answering with canned step data. Every process started here is
 * stopped before the function returns; every wait is bounded.
 */
const CHILD = new URL("./sim-agents-child.ts", import.meta.url).pathname;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Simulated agents in `procs` forked children (bench/sim-agents-child.ts), all dialing `url`. */
export class SimChildren {
  private readonly children: ChildProcess[] = [];
  constructor(url: string, specs: SimAgentSpec[], procs: number, backoff = { baseMs: 500, maxMs: 5_000 }) {
    const per = Math.ceil(specs.length / procs);
    for (let i = 0; i < procs; i++) {
      const agents = specs.slice(i * per, (i + 1) * per);
      if (agents.length === 0) continue;
      const child = fork(CHILD, [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
      child.send({ type: "start", url, agents, backoff });
      this.children.push(child);
    }
  }
  get pids(): number[] {
    return this.children.map((c) => c.pid ?? 0);
  }
  async stats(): Promise<SimStats> {
    const all = await Promise.all(
      this.children.map(
        (c) =>
          new Promise<SimStats>((resolve) => {
            const on = (m: { type: string; stats?: SimStats }) => {
              if (m.type !== "stats" || !m.stats) return;
              c.off("message", on);
              resolve(m.stats);
            };
            c.on("message", on);
            c.send({ type: "stats" });
          }),
      ),
    );
    return all.reduce(
      (a, s) => ({
        agents: a.agents + s.agents,
        connected: a.connected + s.connected,
        welcomes: a.welcomes + s.welcomes,
        jobsAnswered: a.jobsAnswered + s.jobsAnswered,
        jobsIgnored: a.jobsIgnored + s.jobsIgnored,
        progressSent: a.progressSent + s.progressSent,
      }),
      { agents: 0, connected: 0, welcomes: 0, jobsAnswered: 0, jobsIgnored: 0, progressSent: 0 },
    );
  }
  /** Polls until `pred` holds; throws after `timeoutMs`. Returns ms waited. */
  async until(pred: (s: SimStats) => boolean, timeoutMs: number, what: string): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      const s = await this.stats();
      if (pred(s)) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`${what}: not reached in ${timeoutMs / 1000} s (${JSON.stringify(s)})`);
      await sleep(25);
    }
  }
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.send({ type: "stop" });
            setTimeout(() => c.kill("SIGKILL"), 5_000).unref();
          }),
      ),
    );
  }
}

/** The console secret of each control plane the benches started, by URL (its bearer header). */
const consoleAuth = new Map<string, () => Record<string, string>>();
const authOf = (url: string) => consoleAuth.get(url)?.() ?? {};
export const registerConsole = (cp: { url: string; consoleHeaders(): Record<string, string> }) =>
  consoleAuth.set(cp.url, () => cp.consoleHeaders());

/** A console command, as the console and `clawops` send it, to a control plane registered above. */
export async function consoleCommand(url: string, text: string) {
  const res = await fetch(`${url}/api/console/command`, {
    method: "POST",
    headers: { "content-type": "application/json", ...authOf(url) },
    body: JSON.stringify({ text }),
  });
  return (await res.json()) as { ack: { text: string }; jobId: string | null; error: unknown; headSeq: number };
}

/** `sim-0001` … `sim-N`: the fleet benches' host names. */
export function simHosts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `sim-${String(i + 1).padStart(4, "0")}`);
}

/** One host in 50 has its gateway down, so the fleet matrix has something to sort. */
export const downOneIn50 = (h: string): SimProfile => (Number(h.slice(4)) % 50 === 0 ? "down" : "healthy");

/**
 * Enrolls hosts through the real HTTP API (a one-time code from `codeFor`, then POST /api/enroll
 * on `url`), `batch` at a time.
 */
export async function enrollMany(
  url: string,
  codeFor: (host: string) => Promise<string>,
  hosts: string[],
  profileOf: (h: string) => SimProfile,
  batch = 25,
) {
  const specs: SimAgentSpec[] = [];
  for (let i = 0; i < hosts.length; i += batch) {
    const done = await Promise.all(
      hosts.slice(i, i + batch).map(async (host) => {
        const id = newSimIdentity(host);
        const code = await codeFor(host);
        const res = await fetch(`${url}/api/enroll`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code, host, publicKey: id.publicKey }),
        });
        if (!res.ok) throw new Error(`enroll ${host}: ${res.status} ${await res.text()}`);
        return { host, keyPem: id.keyPem, profile: profileOf(host) };
      }),
    );
    specs.push(...done);
  }
  return specs;
}

/** The fan-out time the control plane put in the fleet message's footer ("answered in 0.48 s"). */
export function answeredInMs(blocks: unknown): number {
  return Number(/answered in ([\d.]+) s/.exec(JSON.stringify(blocks))?.[1] ?? Number.NaN) * 1000;
}

/** A job as the console reads it (`/api/console/jobs/<id>`): `running` until it ended. */
export async function consoleJob(url: string, id: string) {
  const res = await fetch(`${url}/api/console/jobs/${id}`, { headers: authOf(url) });
  return ((await res.json()) as { job: { status: string; detail: string | null; findings: string[] } }).job;
}

/** Sends `/openclaw status all` and waits for the fleet message; client-side and server-side times. */
async function timeFleetStatus(url: string, timeoutMs = 30_000, command = "status all") {
  const t0 = performance.now();
  const reply = await consoleCommand(url, command);
  for (;;) {
    const res = await fetch(`${url}/api/console/messages?since=${reply.headSeq}`, { headers: authOf(url) });
    const { events } = (await res.json()) as { events: { text: string; message: { parts: unknown[] } }[] };
    const fleet = events.find((e) => e.text.startsWith("Fleet status"));
    if (fleet) {
      const wallMs = performance.now() - t0;
      const serverMs = answeredInMs(fleet.message);
      return { wallMs, serverMs, summary: fleet.text, blocks: fleet.message.parts.length };
    }
    if (performance.now() - t0 > timeoutMs) throw new Error("no fleet message");
    await sleep(10);
  }
}

export function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}

export interface FleetBench {
  agents: number;
  procs: number;
  enrollS: number;
  firstConnectS: number;
  status: { wallMs: number; serverMs: number; summary: string; blocks: number }[];
  statusP50Ms: number;
  statusMaxMs: number;
  cpRssKbPerAgent: number;
  storm: {
    downMs: number;
    allBackMs: number;
    welcomes: number;
    lostJob: { status: string; detail: string | null };
    rerun: { status: string; findings: number };
    statusAfter: string;
  };
}

/**
 * `status all` over N simulated agents, then a reconnect storm: the control plane is killed
 * with a triage in flight and restarted on the same port and data; agents come back with
 * full-jitter backoff (base 500 ms, cap 5 s, as the agent's defaults).
 */
export async function benchFleet(opts: { agents: number; procs: number; runs: number; log: (s: string) => void }) {
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-bench-fleet-"));
  let cp: ControlPlaneProcess | null = await spawnControlPlane({}, { dataDir, keepData: true });
  registerConsole(cp);
  let sims: SimChildren | null = null;
  try {
    const hosts = simHosts(opts.agents);
    // One host in 50 has its gateway down; one stalls its first triage (the job in flight at the kill).
    const profileOf = (h: string): SimProfile => (h === "sim-0001" ? "stall-once" : downOneIn50(h));
    opts.log(`fleet: enrolling ${opts.agents} hosts…`);
    let t = performance.now();
    const enroller = cp;
    const specs = await enrollMany(cp.url, (h) => enroller.enrollmentCode(h), hosts, profileOf);
    const enrollS = (performance.now() - t) / 1000;
    const rssBefore = vmRssKb(cp.child.pid ?? 0);
    opts.log(`fleet: connecting ${opts.agents} agents from ${opts.procs} processes…`);
    const port = new URL(cp.url).port;
    sims = new SimChildren(`ws://127.0.0.1:${port}/agent/connect`, specs, opts.procs);
    const connectMs = await sims.until((s) => s.connected === opts.agents, 120_000, "first connect");
    await sleep(1_000);
    const cpRssKbPerAgent = (vmRssKb(cp.child.pid ?? 0) - rssBefore) / opts.agents;

    const status = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = await timeFleetStatus(cp.url);
      opts.log(`fleet: status all #${i + 1}: ${Math.round(r.wallMs)} ms — ${r.summary}`);
      status.push(r);
      await sleep(500);
    }
    const walls = status.map((s) => s.wallMs).sort((a, b) => a - b);

    // Reconnect storm.
    const inflight = await consoleCommand(cp.url, "triage sim-0001");
    if (!inflight.jobId) throw new Error(`triage not started: ${inflight.ack.text}`);
    await sleep(500);
    opts.log("storm: killing the control plane with a triage in flight…");
    const down = performance.now();
    cp.child.kill("SIGKILL");
    await new Promise((r) => cp?.child.once("exit", r));
    cp = null;
    await sims.until((s) => s.connected === 0, 30_000, "all disconnected");
    const before = (await sims.stats()).welcomes;
    cp = await spawnControlPlane({ CLAWOPS_PORT: port }, { dataDir, keepData: true });
    registerConsole(cp);
    const restarted = performance.now();
    const allBackMs = await sims.until((s) => s.connected === opts.agents, 120_000, "all reconnected");
    const welcomes = (await sims.stats()).welcomes - before;
    opts.log(`storm: all ${opts.agents} back ${Math.round(allBackMs)} ms after the restart`);
    const jobInfo = (id: string) => consoleJob(cp?.url ?? "", id);
    const lost = await jobInfo(inflight.jobId);
    const again = await consoleCommand(cp.url, "triage sim-0001");
    let rerun = { status: "running", detail: null as string | null, findings: [] as string[] };
    const t1 = performance.now();
    while (rerun.status === "running" && performance.now() - t1 < 30_000) {
      await sleep(50);
      rerun = await jobInfo(again.jobId ?? "");
    }
    const after = await timeFleetStatus(cp.url);
    t = performance.now();
    return {
      agents: opts.agents,
      procs: opts.procs,
      enrollS,
      firstConnectS: connectMs / 1000,
      status,
      statusP50Ms: percentile(walls, 50),
      statusMaxMs: Math.max(...walls),
      cpRssKbPerAgent,
      storm: {
        downMs: restarted - down,
        allBackMs,
        welcomes,
        lostJob: { status: lost.status, detail: lost.detail },
        rerun: { status: rerun.status, findings: rerun.findings.length },
        statusAfter: after.summary,
      },
    } satisfies FleetBench;
  } finally {
    await sims?.stop();
    await cp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function gc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Hub memory per connected idle agent: the hub runs in this process, the agents in children. */
export async function benchHubMemory(opts: { agents: number; procs: number; log: (s: string) => void }) {
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-bench-mem-"));
  const quiet = { info() {}, warn() {}, error() {} };
  const cp = await startControlPlane({ port: 0, bind: "127.0.0.1", dataDir, console: true, logger: quiet });
  registerConsole(cp);
  let sims: SimChildren | null = null;
  try {
    const specs: SimAgentSpec[] = [];
    for (let i = 1; i <= opts.agents; i++) {
      const host = `mem-${i}`;
      const id = newSimIdentity(host);
      const { issueEnrollmentCode, enrollHost } = await import("../src/core/hub/enrollment.ts");
      const { code } = await issueEnrollmentCode(cp.deps, host);
      await enrollHost(cp.deps, { code, host, publicKey: id.publicKey });
      specs.push({ host, keyPem: id.keyPem, profile: "healthy" });
    }
    // Warm the paths one connection takes (JIT, statement cache) before the baseline.
    const warm = new SimChildren(`${cp.url.replace("http", "ws")}/agent/connect`, specs.slice(0, 5), 1);
    await warm.until((s) => s.connected === 5, 30_000, "warm-up");
    await warm.stop();
    await sleep(500);
    gc();
    const m0 = process.memoryUsage();
    sims = new SimChildren(`${cp.url.replace("http", "ws")}/agent/connect`, specs, opts.procs);
    await sims.until((s) => s.connected === opts.agents, 120_000, "connect");
    await sleep(2_000);
    gc();
    const m1 = process.memoryUsage();
    const per = (k: "heapUsed" | "rss" | "external") => (m1[k] - m0[k]) / opts.agents / 1024;
    opts.log(`hub memory: heap ${per("heapUsed").toFixed(1)} KB, rss ${per("rss").toFixed(1)} KB per agent`);
    return {
      agents: opts.agents,
      heapKbPerAgent: per("heapUsed"),
      externalKbPerAgent: per("external"),
      rssKbPerAgent: per("rss"),
    };
  } finally {
    await sims?.stop();
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** How the agent-memory bench starts the agent: from sources, or the bundle with its Node flags. */
export type AgentVariant = { label: string; launch?: AgentLaunch };

export interface AgentMemory {
  label: string;
  idleS: number;
  /** Max VmRSS while idle after connecting, and then after one triage job ran. */
  rssMb: number;
  rssAfterTriageMb: number;
  /** Private (anonymous) vs file-backed pages (mostly the node binary, shared by every process running it). */
  rssAnonMb: number;
  rssFileMb: number;
  /** Proportional set size: shared pages divided among the processes that map them. */
  pssMb: number;
  peakRssMb: number;
  idleCpuPct: number;
  /** With `tls`: TLS connections the proxy accepted (the enrollment's, then the agent's). */
  tlsConnections?: number;
}

/**
 * What a bench's agent reads of its host when it has no gateway: HOME a temp folder (its
 * OpenClaw state folder inside, absent), the gateway's port 9 (nothing listens there), and an
 * `openclaw` CLI that does not exist; so a job runs every probe and each fails fast, and no
 * `openclaw` command runs or wanders.
 */
export function gatewaylessAgentEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    OPENCLAW_GATEWAY_PORT: "9",
    OPENCLAW_STATE_DIR: join(home, ".openclaw"),
    CLAWOPS_OPENCLAW_BIN: join(home, "no-openclaw"),
  };
}

/**
 * A real `clawops-agent` process, enrolled and connected; its gateway does not exist
 * (gatewaylessAgentEnv), so a triage job runs every probe and each fails fast.
 * `tls`: the agent enrolls over `https://` and connects over `wss://`, as hosts dial a control
 * plane behind TLS, through a TLS-terminating proxy on loopback (test/support/tls-proxy.ts) whose
 * self-signed certificate it trusts through NODE_EXTRA_CA_CERTS.
 */
export async function benchAgentProcess(opts: {
  idleS: number;
  variant: AgentVariant;
  log: (s: string) => void;
  tls?: boolean;
}): Promise<AgentMemory> {
  const cp = await spawnControlPlane({});
  registerConsole(cp);
  const home = mkdtempSync(join(tmpdir(), "clawops-bench-agent-home-"));
  const launch = opts.variant.launch;
  let proxy: TlsProxy | null = null;
  let agent: ReturnType<typeof runAgent> | null = null;
  try {
    if (opts.tls) {
      const target = new URL(cp.url);
      proxy = await startTlsProxy({ host: target.hostname, port: Number(target.port) });
    }
    const env = {
      ...process.env,
      // The bundle runs as infra/systemd runs it: its flags come with the variant, this with them.
      ...(launch ? AGENT_SERVICE_ENV : {}),
      ...(proxy ? { NODE_EXTRA_CA_CERTS: proxy.caFile } : {}),
      ...gatewaylessAgentEnv(home),
    };
    const dir = await enrollAgent({
      server: proxy?.url ?? cp.url,
      // Its state folder inside the temp HOME, so the `finally` below removes it too.
      dir: join(home, "clawops-agent"),
      host: "bench-agent",
      code: await cp.enrollmentCode("bench-agent"),
      env,
      ...(launch ? { launch } : {}),
    });
    agent = runAgent({ dir, env, ...(launch ? { launch } : {}) });
    const pid = agent.child.pid ?? 0;
    let online = false;
    for (let i = 0; i < 200 && !online; i++) {
      online = (await consoleCommand(cp.url, "hosts")).ack.text.includes("1 online");
      if (!online) await sleep(100);
    }
    if (!online) throw new Error(`the agent did not connect in 20 s: ${agent.log().slice(-2000)}`);
    await sleep(3_000);
    const c0 = cpuMs(pid);
    const rss: number[] = [];
    for (let i = 0; i < opts.idleS; i++) {
      rss.push(vmRssKb(pid));
      await sleep(1_000);
    }
    const cpuPct = ((cpuMs(pid) - c0) / 1000 / opts.idleS) * 100;
    const kb = (file: string, field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/${file}`, "utf8"))?.[1] ?? 0);
    const idle = {
      rssAnonMb: kb("status", "RssAnon") / 1024,
      rssFileMb: kb("status", "RssFile") / 1024,
      pssMb: kb("smaps_rollup", "Pss") / 1024,
    };
    const triage = await consoleCommand(cp.url, "triage bench-agent");
    if (!triage.jobId) throw new Error(`triage not started: ${triage.ack.text}`);
    for (let i = 0; i < 600; i++) {
      if ((await consoleJob(cp.url, triage.jobId)).status !== "running") break;
      await sleep(100);
    }
    const after: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(1_000);
      after.push(vmRssKb(pid));
    }
    const r: AgentMemory = {
      label: opts.variant.label,
      idleS: opts.idleS,
      rssMb: Math.max(...rss) / 1024,
      rssAfterTriageMb: Math.max(...after) / 1024,
      ...idle,
      peakRssMb: kb("status", "VmHWM") / 1024,
      idleCpuPct: cpuPct,
      ...(proxy ? { tlsConnections: proxy.connections() } : {}),
    };
    opts.log(
      `agent (${r.label}${proxy ? ", wss://" : ""}): rss ${r.rssMb.toFixed(1)} MB idle, ${r.rssAfterTriageMb.toFixed(1)} MB after a triage, peak ${r.peakRssMb.toFixed(1)} MB${proxy ? `, ${proxy.connections()} TLS connections` : ""}`,
    );
    return r;
  } finally {
    await agent?.kill();
    await proxy?.stop();
    await cp.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The agent's anchor: a bare Node process (a file that only keeps a timer), run with the same
 * flags and environment as the agent's service, idle for the same time. Its RSS is what Node
 * itself costs before any of the agent's code loads.
 */
export async function benchBareNode(opts: { idleS: number; nodeArgs: readonly string[] }): Promise<{
  rssMb: number;
  rssAnonMb: number;
  rssFileMb: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-bench-bare-"));
  const file = join(dir, "bare.mjs");
  writeFileSync(file, "setInterval(() => {}, 60_000);\n");
  const child = spawn(process.execPath, [...opts.nodeArgs, file], {
    env: { ...process.env, ...AGENT_SERVICE_ENV },
    stdio: "ignore",
  });
  try {
    const pid = child.pid ?? 0;
    await sleep(3_000);
    const rss: number[] = [];
    for (let i = 0; i < opts.idleS; i++) {
      rss.push(vmRssKb(pid));
      await sleep(1_000);
    }
    const kb = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    return { rssMb: Math.max(...rss) / 1024, rssAnonMb: kb("RssAnon") / 1024, rssFileMb: kb("RssFile") / 1024 };
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** USER_HZ: 100 on Linux (sysconf(_SC_CLK_TCK)): the unit of stat(5)'s CPU times. */
const CLOCK_TICKS = 100;

/**
 * User + system CPU time so far, ms, from a stat(5) file: a process's (/proc/<pid>/stat) or one
 * thread's (/proc/<pid>/task/<tid>/stat). Counted in clock ticks of 10 ms. The fields are read
 * after the command name's last ")", which may itself hold spaces and parentheses.
 */
export function statCpuMs(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5) (utime, stime), counted from after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** User + system CPU time of a process so far, ms. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

export interface FleetAbRun {
  variant: string;
  round: number;
  wallMs: number;
  serverMs: number;
  cpuMs: number;
  summary: string;
}

/**
 * `status all` fan-out, this checkout against another (`baseline`: the root of a checkout of an
 * earlier commit, with its node_modules), in interleaved rounds on the same hosts and agents:
 * per round each control plane in turn is started on the same port and data, every agent
 * reconnects to it, and it answers `command` `runs` times (wall time, the fan-out it measured,
 * its CPU time over the command). Rounds alternate which goes first.
 */
export async function benchFleetAb(opts: {
  agents: number;
  procs: number;
  rounds: number;
  runs: number;
  baseline: string;
  command: string;
  /** The same request in the baseline's words, when its parser predates `command` (e.g. `--live`). */
  baselineCommand?: string;
  log: (s: string) => void;
}): Promise<FleetAbRun[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-bench-fleet-ab-"));
  const variants = [
    { variant: "this checkout", main: undefined, command: opts.command },
    {
      variant: "baseline",
      main: join(opts.baseline, "src/node/main.ts"),
      command: opts.baselineCommand ?? opts.command,
    },
  ];
  let cp: ControlPlaneProcess | null = await spawnControlPlane({}, { dataDir, keepData: true });
  registerConsole(cp);
  let sims: SimChildren | null = null;
  const runs: FleetAbRun[] = [];
  try {
    opts.log(`fleet-ab: enrolling ${opts.agents} hosts…`);
    const enroller = cp;
    const specs = await enrollMany(cp.url, (h) => enroller.enrollmentCode(h), simHosts(opts.agents), downOneIn50);
    const port = new URL(cp.url).port;
    await cp.stop();
    cp = null;
    sims = new SimChildren(`ws://127.0.0.1:${port}/agent/connect`, specs, opts.procs);
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      for (const v of order) {
        cp = await spawnControlPlane({ CLAWOPS_PORT: port }, { dataDir, keepData: true, main: v.main });
        registerConsole(cp);
        await sims.until((s) => s.connected === opts.agents, 180_000, `${v.variant}: all connected`);
        await sleep(1_000);
        for (let i = 0; i < opts.runs; i++) {
          const pid = cp.child.pid ?? 0;
          const c0 = cpuMs(pid);
          const r = await timeFleetStatus(cp.url, 60_000, v.command);
          const cpu = cpuMs(pid) - c0;
          runs.push({
            variant: v.variant,
            round,
            wallMs: r.wallMs,
            serverMs: r.serverMs,
            cpuMs: cpu,
            summary: r.summary,
          });
          opts.log(
            `fleet-ab ${opts.agents} round ${round} ${v.variant}: ${Math.round(r.wallMs)} ms (server ${Math.round(r.serverMs)} ms, cpu ${cpu} ms) — ${r.summary}`,
          );
          await sleep(500);
        }
        await cp.stop();
        cp = null;
        await sims.until((s) => s.connected === 0, 30_000, "all disconnected");
      }
    }
    return runs;
  } finally {
    await sims?.stop();
    await cp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
