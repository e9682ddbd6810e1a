import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WATCH_SETTINGS } from "../src/core/hosts/watch-state.ts";
import type { HostRecord } from "../src/core/ports/store.ts";
import type { WatchRecord } from "../src/core/ports/watch-record.ts";
import { WatchService } from "../src/core/watch/service.ts";
import { gatewayDownData, healthyData, toResults } from "../test/support/evidence.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../test/support/local-worker.ts";
import { InMemoryStore } from "../test/support/memory-store.ts";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";
import { cpuMs, downOneIn50, enrollMany, SimChildren, simHosts, sleep, vmRssKb } from "./fleet.ts";
import { stubCoreDeps } from "./stub-deps.ts";

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

/** The machine's busy and total CPU time so far, all cores, in ms (/proc/stat ticks are 10 ms). */
function machineCpuMs(): { busy: number; total: number } {
  const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) * 10, total: total * 10 };
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

/** Which `status all` a run is: from the stored watch state, or the live fan-out (`--live`). */
export type WorkerdStatusKind = "stored" | "live";

export interface WorkerdStatusRun {
  kind: WorkerdStatusKind;
  hosts: number;
  /** 1-based round; 0 for the run after the idle wait. */
  round: number;
  /** Signed command posted → the ephemeral ack back. */
  ackMs: number;
  /** Signed command posted → the "Fleet status" chat.postMessage at the stand-in. */
  wallMs: number;
  /** What the Worker measured ("read in" from the watch, "answered in" for the fan-out). */
  serverMs: number;
  /** CPU time each workerd process used from the command to the fleet message. */
  workerdCpuMs: number;
  proxyCpuMs: number;
  /** CPU time the simulated agents' processes used over the same span. */
  agentsCpuMs: number;
  /** Share of the machine's CPU (all cores) busy over the span, any process: 1 = every core busy. */
  machineBusy: number;
  summary: string;
  blocks: number;
  /** The counts are the expected ones (every host answered or read, 1 in 50 failing). */
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
  rounds: number;
  fanoutGroup: number;
  pids: { worker: number; proxy: number };
  enrollS: number;
  firstConnectS: number;
  /** Seconds to write the extra stored-only hosts and states, per size. */
  seedS: Record<number, number>;
  status: WorkerdStatusRun[];
  /**
   * VmRSS of the workerd running the Worker: enrolled but no agent connected; all connected
   * (+1 s); after the runs; after the idle wait. `proxyRssKb`: the same for wrangler's proxy.
   */
  rssKb: { beforeConnect: number; connected: number; afterRuns: number; afterIdle: number };
  proxyRssKb: { beforeConnect: number; connected: number; afterRuns: number; afterIdle: number };
  rssKbPerAgent: number;
  slackViolations: string[];
}

/** The Worker's own figure in the fleet message's footer: "read in 0.31 s" or "answered in 1.20 s". */
function serverFigureMs(blocks: unknown): number {
  return Number(/(?:read|answered) in ([\d.]+) s/.exec(JSON.stringify(blocks))?.[1] ?? Number.NaN) * 1000;
}

/**
 * Sends a really signed `/openclaw status all` (or `status all --live`) and times it to the
 * fleet message at the Slack stand-in (on Workers there is no console API: the message is a
 * chat.postMessage).
 */
async function timeStatusAll(
  url: string,
  pids: { worker: number; proxy: number; agents: number[] },
  slack: SlackStandIn,
  run: { kind: WorkerdStatusKind; hosts: number; round: number; afterIdle: boolean },
  timeoutMs = 60_000,
): Promise<WorkerdStatusRun> {
  const fleetMessages = () => slack.topLevel(CHANNEL).filter((m) => m.text.startsWith("Fleet status"));
  const before = fleetMessages().length;
  const form = slashCommandBody({
    text: run.kind === "live" ? "status all --live" : "status all",
    channel_id: CHANNEL,
  });
  const agentsCpu = () => pids.agents.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const cpu0 = { worker: cpuMs(pids.worker), proxy: cpuMs(pids.proxy), agents: agentsCpu(), machine: machineCpuMs() };
  const t0 = performance.now();
  const res = await fetch(`${url}/slack/commands`, { method: "POST", headers: signSlack(SECRET, form), body: form });
  const ack = await res.text();
  const ackMs = performance.now() - t0;
  const acked = run.kind === "live" ? `Quick-probing ${run.hosts} hosts` : "from the watch follows";
  if (res.status !== 200 || !ack.includes(acked)) {
    throw new Error(`status all not acknowledged: HTTP ${res.status} ${ack.slice(0, 300)}`);
  }
  await slack.waitFor(() => fleetMessages().length > before, timeoutMs, "the fleet status message");
  const wallMs = performance.now() - t0;
  const workerdCpuMs = cpuMs(pids.worker) - cpu0.worker;
  const proxyCpuMs = cpuMs(pids.proxy) - cpu0.proxy;
  const agentsCpuMs = agentsCpu() - cpu0.agents;
  const machine = machineCpuMs();
  const machineBusy = (machine.busy - cpu0.machine.busy) / Math.max(1, machine.total - cpu0.machine.total);
  const fleet = fleetMessages()[before];
  if (!fleet) throw new Error("fleet message vanished");
  const down = Math.floor(run.hosts / 50);
  const expected = `${run.hosts} hosts: ${run.hosts - down} ok · 0 warn · ${down} fail · 0 no answer · 0 offline`;
  return {
    ...run,
    ackMs,
    wallMs,
    serverMs: serverFigureMs(fleet.blocks),
    workerdCpuMs,
    proxyCpuMs,
    agentsCpuMs,
    machineBusy,
    summary: fleet.text,
    blocks: fleet.blocks.length,
    countsOk: fleet.text.endsWith(expected),
    worstRows: fleet.blocks
      .flatMap((b) => (b.type === "section" ? String((b.text as { text?: string }).text ?? "").split("\n") : []))
      .filter((line) => line.includes(" — "))
      .slice(0, 3),
  };
}

/**
 * Two watch states made by the real WatchService from one quick probe each (a healthy gateway,
 * one that is down), as a host's object stores them; copied per host with its name.
 */
async function watchTemplates(): Promise<{ healthy: WatchRecord; down: WatchRecord }> {
  const store = new InMemoryStore();
  const watch = new WatchService(stubCoreDeps(store), { settings: DEFAULT_WATCH_SETTINGS });
  const quick = ["gateway.http", "gateway.ws", "port.listeners", "config"];
  const pick = (rs: ReturnType<typeof toResults>) => rs.filter((r) => quick.includes(r.step));
  const now = Date.now();
  for (const [host, results] of [
    ["t-healthy", pick(toResults(healthyData()))],
    ["t-down", pick(toResults(gatewayDownData()))],
  ] as const) {
    await watch.receive(host, { type: "watch.state", seq: 1, at: now, hash: host, results: [...results] });
  }
  const healthy = await store.getWatch("t-healthy");
  const down = await store.getWatch("t-down");
  if (!healthy || !down) throw new Error("the watch service stored no state");
  return { healthy, down };
}

/** Writes hosts and their watch states through the bench entry's seed route, `batch` per request. */
async function seed(url: string, hosts: HostRecord[], watch: WatchRecord[], batch = 500): Promise<void> {
  for (let at = 0; at < Math.max(hosts.length, watch.length); at += batch) {
    const res = await fetch(`${url}/__bench/seed`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ hosts: hosts.slice(at, at + batch), watch: watch.slice(at, at + batch) }),
    });
    if (!res.ok) throw new Error(`seed: HTTP ${res.status} ${await res.text()}`);
  }
}

/**
 * `status all` on the Workers runtime: N simulated agents connected to the Worker in workerd,
 * each host with a stored watch state (1 in 50 failing, as the agents' gateways); `rounds`
 * rounds of `status all` from the stored state and `status all --live` (which goes first
 * alternates), then one more `--live` after every object was idle past hibernation; then, for
 * each size in `stored`, hosts and states written up to that many and `rounds` more `status
 * all` from the stored state. Records workerd's resident memory around the connects.
 */
export async function benchFleetWorkerd(opts: {
  agents: number;
  procs: number;
  rounds: number;
  /** Fleet sizes for `status all` from the stored state alone (more hosts enrolled, no agents). */
  stored?: number[];
  log: (s: string) => void;
  /** Hosts per fan-out object (CLAWOPS_FANOUT_GROUP); default the Worker's own. */
  fanoutGroup?: number;
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
      // src/worker/index.ts plus the seed route (bench/workerd/seed-entry.ts).
      entrypoint: new URL("./workerd/seed-entry.ts", import.meta.url).pathname,
      vars: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: apiUrl,
        // The watch on (its shards hold the stored states); a stored state stays fresh for an
        // hour, longer than the bench (the simulated agents send no digests).
        CLAWOPS_WATCH_INTERVAL_S: "30",
        CLAWOPS_WATCH_DIGEST_S: "3600",
        CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
        // As deployed (wrangler.toml); the simulated agents send no heartbeat frames anyway.
        AGENT_HEARTBEAT_MS: "60000",
        ...(opts.fanoutGroup ? { CLAWOPS_FANOUT_GROUP: String(opts.fanoutGroup) } : {}),
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
    const found = pids;
    const rss = () => ({ worker: vmRssKb(found.worker), proxy: vmRssKb(found.proxy) });

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
    const names = simHosts(opts.agents);
    const specs = await within(enrollMany(url, codeFor, names, downOneIn50), 300_000, "enrollment");
    const enrollS = (performance.now() - t) / 1000;
    // Each host's stored state as its gateway is: 1 in 50 down.
    const templates = await watchTemplates();
    const stateOf = (host: string, down: boolean): WatchRecord => ({
      ...(down ? templates.down : templates.healthy),
      host,
      reportedAt: Date.now(),
    });
    await seed(
      url,
      [],
      names.map((h) => stateOf(h, downOneIn50(h) === "down")),
    );
    await sleep(1_000);
    const rssBeforeConnect = rss();

    opts.log(`fleet-workerd: connecting ${opts.agents} agents from ${opts.procs} processes…`);
    sims = new SimChildren(`${url.replace(/^http/, "ws")}/agent/connect`, specs, opts.procs);
    const connectMs = await sims.until((s) => s.connected === opts.agents, 180_000, "first connect");
    await sleep(1_000);
    const rssConnected = rss();

    const status: WorkerdStatusRun[] = [];
    const run = async (kind: WorkerdStatusKind, hosts: number, round: number, afterIdle = false) => {
      const agents = sims?.pids ?? [];
      const r = await timeStatusAll(url, { ...found, agents }, slack, { kind, hosts, round, afterIdle }).catch(
        (err): WorkerdStatusRun => ({
          kind,
          hosts,
          round,
          ackMs: Number.NaN,
          wallMs: Number.NaN,
          serverMs: Number.NaN,
          workerdCpuMs: Number.NaN,
          proxyCpuMs: Number.NaN,
          agentsCpuMs: Number.NaN,
          machineBusy: Number.NaN,
          summary: "",
          blocks: 0,
          countsOk: false,
          afterIdle,
          worstRows: [],
          error: String(err),
        }),
      );
      const label = `${kind === "live" ? "status all --live" : "status all (stored)"} over ${hosts}, ${afterIdle ? "after idle" : `round ${round}`}`;
      opts.log(
        `fleet-workerd: ${label}: ${Math.round(r.wallMs)} ms (server ${Math.round(r.serverMs)} ms; CPU: Worker ${r.workerdCpuMs} ms, proxy ${r.proxyCpuMs} ms, agents ${r.agentsCpuMs} ms; machine ${Math.round(r.machineBusy * 100)} % busy) — ${r.error ?? r.summary}`,
      );
      if (!r.countsOk) for (const row of r.worstRows) opts.log(`  ${row}`);
      status.push(r);
      await sleep(500);
    };
    for (let i = 1; i <= opts.rounds; i++) {
      const order: WorkerdStatusKind[] = i % 2 === 1 ? ["stored", "live"] : ["live", "stored"];
      for (const kind of order) await run(kind, opts.agents, i);
    }
    const rssAfterRuns = rss();
    // Idle past hibernation: each object leaves memory, its agent's socket stays open.
    opts.log(`fleet-workerd: idle ${HIBERNATION_WAIT_MS / 1000} s (objects hibernate)…`);
    await sleep(HIBERNATION_WAIT_MS);
    const rssAfterIdle = rss();
    const stillConnected = (await sims.stats()).connected;
    if (stillConnected !== opts.agents) opts.log(`fleet-workerd: only ${stillConnected} still connected after idle`);
    await run("live", opts.agents, 0, true);

    // More hosts, enrolled with a stored state and no agent: `status all` reads them all.
    const seedS: Record<number, number> = {};
    let have = opts.agents;
    for (const size of (opts.stored ?? []).filter((n) => n > opts.agents).sort((a, b) => a - b)) {
      opts.log(`fleet-workerd: writing hosts and stored states up to ${size}…`);
      const extra = Array.from({ length: size - have }, (_, i) => `seed-${String(have + i + 1).padStart(5, "0")}`);
      const now = Date.now();
      const t0 = performance.now();
      await seed(
        url,
        extra.map(
          (name): HostRecord => ({
            name,
            publicKey: "bench-no-agent",
            enrolledAt: now,
            revokedAt: null,
            agentVersion: "0.1.0",
            gatewayVersion: null,
            lastSeenAt: now,
          }),
        ),
        extra.map((h) => stateOf(h, Number(h.slice(5)) % 50 === 0)),
      );
      seedS[size] = (performance.now() - t0) / 1000;
      have = size;
      for (let i = 1; i <= opts.rounds; i++) await run("stored", size, i);
    }

    return {
      runtime: runtimeVersions(),
      agents: opts.agents,
      procs: opts.procs,
      rounds: opts.rounds,
      fanoutGroup: opts.fanoutGroup ?? 200,
      pids: found,
      enrollS,
      firstConnectS: connectMs / 1000,
      seedS,
      status,
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
