import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../test/support/local-worker.ts";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";
import { answeredInMs, downOneIn50, enrollMany, SimChildren, simHosts, sleep, vmRssKb } from "./fleet.ts";
import { percentile } from "./stats.ts";

/**
 * `/openclaw status all` on the Workers runtime: wrangler.toml's Worker run by workerd
 * (Miniflare, `unstable_startWorker`) on 127.0.0.1, one HostAgent Durable Object per host on
 * SQLite, Slack replaced by the Web API stand-in. The same simulated agents as the Node fleet
 * bench (bench/fleet.ts) dial `/agent/connect?host=<name>`, which routes each socket to its
 * host's object. Every process started here is stopped before the function returns; every
 * wait is bounded.
 */
const SECRET = "bench-workerd-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-bench-workerd-bot-token";
const ADMIN_TOKEN = "bench-workerd-admin-token-6d1f0a9c";
const CHANNEL = "C0FLEETWK";
/** workerd evicts an idle object after 10 s of inactivity (workerd PR #1138); wait past it. */
export const HIBERNATION_WAIT_MS = 15_000;

/**
 * The workerd processes this process started (from /proc): wrangler's dev server runs two,
 * each `workerd serve … --socket-addr=entry=<addr>`: the proxy in front (entry on the port we
 * chose) and the one running the Worker and its Durable Objects (entry on port 0). Agent
 * sockets and commands pass through both; on Cloudflare there is no such proxy.
 */
function workerdProcesses(port: number): { worker: number; proxy: number } | null {
  const found: { pid: number; entry: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv[0]?.endsWith("/workerd") || argv[1] !== "serve") continue;
      const socket = argv.find((a) => a.startsWith("--socket-addr=entry="))?.slice("--socket-addr=entry=".length);
      found.push({ pid: Number(entry), entry: socket ?? "" });
    } catch {
      // Exited while we looked.
    }
  }
  const proxy = found.filter((f) => f.entry === `127.0.0.1:${port}`);
  const worker = found.filter((f) => f.entry !== `127.0.0.1:${port}`);
  if (proxy.length > 1 || worker.length > 1) {
    throw new Error(`expected two workerd processes (proxy, Worker), found ${JSON.stringify(found)}`);
  }
  return proxy[0] && worker[0] ? { worker: worker[0].pid, proxy: proxy[0].pid } : null;
}

function runtimeVersions(): string {
  const version = (pkg: string) =>
    (
      JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;
  return `wrangler ${version("wrangler")}, workerd ${version("workerd")}`;
}

/** CPU time (user + system) a process has used, in ms (/proc ticks are 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done in ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface WorkerdStatusRun {
  /** Signed command posted → the ephemeral ack back. */
  ackMs: number;
  /** Signed command posted → the "Fleet status" chat.postMessage at the stand-in. */
  wallMs: number;
  /** The fan-out as the Worker measured it (the message's "answered in"). */
  serverMs: number;
  /** CPU time each workerd process used from the command to the fleet message. */
  workerdCpuMs: number;
  proxyCpuMs: number;
  summary: string;
  blocks: number;
  /** The counts are the expected ones (every agent answered, 1 in 50 down). */
  countsOk: boolean;
  /** Run after every host's object had been idle past hibernation (evicted from memory). */
  afterIdle: boolean;
  /** The first rows of the matrix (worst first), as posted. */
  worstRows: string[];
  /** Set when the command or its message failed; the times are then NaN. */
  error?: string;
}

export interface FleetWorkerdBench {
  /** e.g. "wrangler 4.124.0, workerd 1.20260815.1" */
  runtime: string;
  agents: number;
  procs: number;
  pids: { worker: number; proxy: number };
  enrollS: number;
  firstConnectS: number;
  status: WorkerdStatusRun[];
  /** Over the back-to-back runs that got their message (the one after the idle wait is apart). */
  statusP50Ms: number;
  statusMaxMs: number;
  /**
   * VmRSS of the workerd running the Worker: enrolled but no agent connected; all connected
   * (+1 s); after the runs; after the idle wait. `proxyRssKb`: the same for wrangler's proxy.
   */
  rssKb: { beforeConnect: number; connected: number; afterRuns: number; afterIdle: number };
  proxyRssKb: { beforeConnect: number; connected: number; afterRuns: number; afterIdle: number };
  rssKbPerAgent: number;
  rssKbPerAgentIdle: number;
  slackViolations: string[];
}

/**
 * Sends a really signed `/openclaw status all` and times it to the fleet message at the
 * Slack stand-in (on Workers there is no console API: the message is a chat.postMessage).
 */
async function timeStatusAll(
  url: string,
  pids: { worker: number; proxy: number },
  slack: SlackStandIn,
  agents: number,
  afterIdle: boolean,
  timeoutMs = 60_000,
): Promise<WorkerdStatusRun> {
  const fleetMessages = () => slack.topLevel(CHANNEL).filter((m) => m.text.startsWith("Fleet status"));
  const before = fleetMessages().length;
  const form = slashCommandBody({ text: "status all", channel_id: CHANNEL });
  const cpu0 = { worker: cpuMs(pids.worker), proxy: cpuMs(pids.proxy) };
  const t0 = performance.now();
  const res = await fetch(`${url}/slack/commands`, { method: "POST", headers: signSlack(SECRET, form), body: form });
  const ack = await res.text();
  const ackMs = performance.now() - t0;
  if (res.status !== 200 || !ack.includes(`Quick-probing ${agents} hosts`)) {
    throw new Error(`status all not acknowledged: HTTP ${res.status} ${ack.slice(0, 300)}`);
  }
  await slack.waitFor(() => fleetMessages().length > before, timeoutMs, "the fleet status message");
  const wallMs = performance.now() - t0;
  const workerdCpuMs = cpuMs(pids.worker) - cpu0.worker;
  const proxyCpuMs = cpuMs(pids.proxy) - cpu0.proxy;
  const fleet = fleetMessages()[before];
  if (!fleet) throw new Error("fleet message vanished");
  const down = Math.floor(agents / 50);
  const expected = `${agents} hosts: ${agents - down} ok · 0 warn · ${down} fail · 0 no answer · 0 offline`;
  return {
    ackMs,
    wallMs,
    serverMs: answeredInMs(fleet.blocks),
    workerdCpuMs,
    proxyCpuMs,
    summary: fleet.text,
    blocks: fleet.blocks.length,
    countsOk: fleet.text.endsWith(expected),
    afterIdle,
    worstRows: fleet.blocks
      .flatMap((b) => (b.type === "section" ? String((b.text as { text?: string }).text ?? "").split("\n") : []))
      .filter((line) => line.includes(" — "))
      .slice(0, 3),
  };
}

/**
 * `status all` over N simulated agents connected to the Worker in workerd: `runs` back to
 * back while the hosts' objects are in memory, then one more after they were all idle past
 * hibernation. Records workerd's resident memory around the connects.
 */
export async function benchFleetWorkerd(opts: {
  agents: number;
  procs: number;
  runs: number;
  log: (s: string) => void;
  /** workerd's log level (the Worker's console lines at or above it are printed). */
  logLevel?: "debug" | "info" | "log" | "warn" | "error";
}): Promise<FleetWorkerdBench> {
  const persist = mkdtempSync(join(tmpdir(), "clawops-bench-workerd-"));
  const slack = new SlackStandIn(BOT_TOKEN);
  let worker: LocalWorker | null = null;
  let sims: SimChildren | null = null;
  try {
    const apiUrl = await slack.start();
    const port = await freeLoopbackPort();
    opts.log(`fleet-workerd: starting the Worker in workerd on 127.0.0.1:${port}…`);
    const local = startLocalWorker({
      port,
      persist,
      logLevel: opts.logLevel ?? "warn",
      vars: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: apiUrl,
        // The live fan-out is what this measures (status from the watch is bench/watch.ts).
        CLAWOPS_WATCH_INTERVAL_S: "0",
        CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
        // As deployed (wrangler.toml); the simulated agents send no heartbeat frames anyway.
        AGENT_HEARTBEAT_MS: "60000",
      },
    });
    const { worker: started, url } = await within(local, 120_000, "workerd start");
    worker = started;
    // The proxy is up at `ready`; the Worker's workerd may start a moment later.
    let pids = workerdProcesses(port);
    for (let i = 0; !pids && i < 600; i++) {
      await sleep(100);
      pids = workerdProcesses(port);
    }
    if (!pids) throw new Error("the Worker's workerd process did not appear within 60 s");
    const { worker: workerPid, proxy: proxyPid } = pids;
    const rss = () => ({ worker: vmRssKb(workerPid), proxy: vmRssKb(proxyPid) });

    opts.log(
      `fleet-workerd: enrolling ${opts.agents} hosts (workerd pids: Worker ${pids.worker}, proxy ${pids.proxy})…`,
    );
    const codeFor = async (host: string) => {
      const res = await fetch(`${url}/api/admin/enrollment-codes`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ host }),
      });
      if (!res.ok) throw new Error(`enrollment code for ${host}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { code: string }).code;
    };
    const t = performance.now();
    const specs = await within(enrollMany(url, codeFor, simHosts(opts.agents), downOneIn50), 300_000, "enrollment");
    const enrollS = (performance.now() - t) / 1000;
    await sleep(1_000);
    const rssBeforeConnect = rss();

    opts.log(`fleet-workerd: connecting ${opts.agents} agents from ${opts.procs} processes…`);
    sims = new SimChildren(`${url.replace(/^http/, "ws")}/agent/connect`, specs, opts.procs);
    const connectMs = await sims.until((s) => s.connected === opts.agents, 180_000, "first connect");
    await sleep(1_000);
    const rssConnected = rss();

    const status: WorkerdStatusRun[] = [];
    const run = async (label: string, afterIdle: boolean) => {
      const r = await timeStatusAll(url, pids, slack, opts.agents, afterIdle).catch(
        (err): WorkerdStatusRun => ({
          ackMs: Number.NaN,
          wallMs: Number.NaN,
          serverMs: Number.NaN,
          workerdCpuMs: Number.NaN,
          proxyCpuMs: Number.NaN,
          summary: "",
          blocks: 0,
          countsOk: false,
          afterIdle,
          worstRows: [],
          error: String(err),
        }),
      );
      opts.log(
        `fleet-workerd: status all ${label}: ${Math.round(r.wallMs)} ms (CPU: Worker ${r.workerdCpuMs} ms, proxy ${r.proxyCpuMs} ms) — ${r.error ?? r.summary}`,
      );
      if (!r.countsOk) for (const row of r.worstRows) opts.log(`  ${row}`);
      status.push(r);
    };
    for (let i = 0; i < opts.runs; i++) {
      await run(`#${i + 1}`, false);
      await sleep(500);
    }
    const rssAfterRuns = rss();
    // Idle past hibernation: each object leaves memory, its agent's socket stays open.
    opts.log(`fleet-workerd: idle ${HIBERNATION_WAIT_MS / 1000} s (objects hibernate)…`);
    await sleep(HIBERNATION_WAIT_MS);
    const rssAfterIdle = rss();
    const stillConnected = (await sims.stats()).connected;
    if (stillConnected !== opts.agents) opts.log(`fleet-workerd: only ${stillConnected} still connected after idle`);
    await run("after idle", true);

    const walls = status
      .filter((s) => !s.afterIdle && !s.error)
      .map((s) => s.wallMs)
      .sort((a, b) => a - b);
    return {
      runtime: runtimeVersions(),
      agents: opts.agents,
      procs: opts.procs,
      pids,
      enrollS,
      firstConnectS: connectMs / 1000,
      status,
      statusP50Ms: percentile(walls, 50),
      statusMaxMs: Math.max(...walls),
      rssKb: {
        beforeConnect: rssBeforeConnect.worker,
        connected: rssConnected.worker,
        afterRuns: rssAfterRuns.worker,
        afterIdle: rssAfterIdle.worker,
      },
      proxyRssKb: {
        beforeConnect: rssBeforeConnect.proxy,
        connected: rssConnected.proxy,
        afterRuns: rssAfterRuns.proxy,
        afterIdle: rssAfterIdle.proxy,
      },
      rssKbPerAgent: (rssConnected.worker - rssBeforeConnect.worker) / opts.agents,
      rssKbPerAgentIdle: (rssAfterIdle.worker - rssBeforeConnect.worker) / opts.agents,
      slackViolations: [...slack.violations],
    };
  } finally {
    // workerd first: stopping the agents first would log one "agent disconnected" warning each.
    if (worker) await within(worker.dispose(), 30_000, "workerd stop").catch((err) => opts.log(String(err)));
    await sims?.stop();
    await slack.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}
