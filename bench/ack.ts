import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { startScriptedPlane } from "./scripted-plane.ts";
import { percentile } from "./stats.ts";

/**
 * Slash-command ack latency: N really signed `/openclaw triage` requests, C at a time,
 * against the control plane running as `npm start` runs it (its own process), with an
 * online (scripted) agent in this process, so each ack includes signature
 * verification, host lookup, the online check and the job, claim and audit writes into
 * SQLite. The triages it queues run on the same thread, after the burst (they wait for a lull
 * in requests, at most 1 s), or during it when it lasts longer.
 */
export async function benchAck(opts: {
  requests: number;
  concurrency: number;
  text: string;
  /** Extra control-plane environment. */
  env?: Record<string, string>;
  /** Another checkout's src/node/main.ts (a baseline), instead of this one's. */
  main?: string;
}) {
  const { cp, secret, close } = await startScriptedPlane({
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.main ? { main: opts.main } : {}),
  });

  const load = await signedLoad(cp.url, secret, opts, cp.child.pid);
  await new Promise((r) => setTimeout(r, 500));
  await close();
  return { command: `/openclaw ${opts.text}`, ...load };
}

const BARE = fileURLToPath(new URL("./bare-hono.ts", import.meta.url));

/**
 * The yardstick: the same signed load against a bare hono app in its own process that
 * verifies the same signature and answers, doing nothing else (bench/bare-hono.ts).
 */
export async function benchBareHono(opts: { requests: number; concurrency: number; text: string }) {
  const secret = "bench-signing-secret";
  const child = spawn(process.execPath, [BARE], {
    env: { ...process.env, SLACK_SIGNING_SECRET: secret },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (d) => {
        out += d;
        const m = /listening at (http:\/\/\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`bare hono exited (${code})`)));
    });
    return { command: "bare hono", ...(await signedLoad(url, secret, opts, child.pid)) };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

/** Warm-up, then `requests` really signed slash commands, `concurrency` at a time: latency percentiles. */
async function signedLoad(
  url: string,
  secret: string,
  opts: { requests: number; concurrency: number; text: string },
  pid: number | undefined,
) {
  // Sign every request before the clock starts: the load generator's own HMAC work is not
  // the control plane's latency. Signatures stay valid for Slack's five-minute window.
  const requests = Array.from({ length: opts.requests }, (_, i) => {
    const body = slashCommandBody({ text: opts.text, channel_id: `C0BENCH${i % 10}`, trigger_id: `bench.${i}` });
    return { body, headers: signSlack(secret, body) };
  });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < opts.requests) {
      const { body, headers } = requests[next++] as (typeof requests)[number];
      const t0 = performance.now();
      const res = await fetch(`${url}/slack/commands`, { method: "POST", headers, body });
      const json = (await res.json()) as { text?: string };
      latencies.push(performance.now() - t0);
      if (res.status !== 200 || json.text?.startsWith("Error")) failures++;
    }
  };
  // Warm-up (JIT, SQLite page cache) is not part of the measurement.
  for (let i = 0; i < 20; i++) {
    const body = slashCommandBody({ text: "help", trigger_id: `warm.${i}` });
    await fetch(`${url}/slack/commands`, { method: "POST", headers: signSlack(secret, body), body }).then((r) =>
      r.text(),
    );
  }
  const cpu0 = cpuMs(pid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const wallMs = performance.now() - t0;
  const cpu1 = cpuMs(pid);
  const client = process.cpuUsage(client0);
  latencies.sort((a, b) => a - b);
  return {
    requests: opts.requests,
    concurrency: opts.concurrency,
    failures,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    throughputPerS: (opts.requests / wallMs) * 1000,
    /** CPU the server's main thread (the one answering HTTP) spent during the load, per request. */
    mainCpuMsPerRequest: (cpu1.main - cpu0.main) / opts.requests,
    /** CPU of the whole server process (every thread) during the load, per request. */
    processCpuMsPerRequest: (cpu1.all - cpu0.all) / opts.requests,
    /**
     * CPU of this process (the load generator, and for the control plane also the scripted
     * agent and the Slack stand-in the triages call) during the load, per request.
     */
    benchCpuMsPerRequest: (client.user + client.system) / 1000 / opts.requests,
  };
}

/**
 * CPU time (user + system, ms) of a process's main thread and of the whole process, from
 * /proc (Linux; the main thread's task id is the process id). Wall-clock tails swing with
 * whatever else the machine runs; CPU time spent on the HTTP thread does not.
 */
function cpuMs(pid: number | undefined): { main: number; all: number } {
  const ticks = (path: string) => {
    try {
      const stat = readFileSync(path, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields 14 and 15 of stat(5) (utime, stime), counted from after the command name.
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return Number.NaN;
    }
  };
  if (!pid) return { main: Number.NaN, all: Number.NaN };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}
/** USER_HZ: 100 on Linux (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;
