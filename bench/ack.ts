import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { statCpuMs } from "./fleet.ts";
import { startScriptedPlane } from "./scripted-plane.ts";

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

const LOAD = fileURLToPath(new URL("./signed-load.ts", import.meta.url));

/**
 * Warm-up, then `requests` really signed slash commands, `concurrency` at a time, from the load
 * generator's own process (bench/signed-load.ts): latency percentiles and CPU per request.
 */
async function signedLoad(
  url: string,
  secret: string,
  opts: { requests: number; concurrency: number; text: string },
  pid: number | undefined,
) {
  // Warm-up (JIT, SQLite page cache) is not part of the measurement.
  for (let i = 0; i < 20; i++) {
    const body = slashCommandBody({ text: "help", trigger_id: `warm.${i}` });
    await fetch(`${url}/slack/commands`, { method: "POST", headers: signSlack(secret, body), body }).then((r) =>
      r.text(),
    );
  }
  const generator = spawn(process.execPath, [LOAD, JSON.stringify({ url, secret, ...opts })], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const waiting = new Map<string, () => void>();
  generator.stdout.on("data", (d) => {
    out += d;
    for (const [word, resolve] of waiting) if (out.includes(`${word}\n`)) resolve();
  });
  const exited = new Promise<number | null>((resolve) => generator.once("exit", resolve));
  // Resolves when the generator prints `word` on a line of its own, or exits.
  const said = (word: string) =>
    Promise.race([new Promise<void>((resolve) => waiting.set(word, resolve)), exited.then(() => {})]);
  // It signs every request and loads autocannon first, then says `ready` and waits for `go`;
  // it says `done` at the last answer: the server's CPU is read around the load alone.
  await said("ready");
  if (!out.includes("ready\n")) throw new Error(`load generator exited (${generator.exitCode}) before the load`);
  const cpu0 = cpuMs(pid);
  const bench0 = process.cpuUsage();
  generator.stdin.end("go\n");
  await said("done");
  const cpu1 = cpuMs(pid);
  const bench = process.cpuUsage(bench0);
  const code = await exited;
  const line = out.slice(out.indexOf("done\n") + "done\n".length).trim();
  if (code !== 0 || !line) throw new Error(`load generator failed (exit ${code}): ${line}`);
  const load = JSON.parse(line) as {
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    wallMs: number;
    failures: number;
    connectMaxMs: number;
    sent: number;
    generatorCpuMs: number;
  };
  return {
    requests: opts.requests,
    concurrency: opts.concurrency,
    failures: load.failures,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    maxMs: load.maxMs,
    /** The slowest first request of a connection (it waits for the server to accept the connection). */
    connectMaxMs: load.connectMaxMs,
    throughputPerS: (load.sent / load.wallMs) * 1000,
    /** CPU the server's main thread (the one answering HTTP) spent during the load, per request. */
    mainCpuMsPerRequest: (cpu1.main - cpu0.main) / load.sent,
    /** CPU of the whole server process (every thread) during the load, per request. */
    processCpuMsPerRequest: (cpu1.all - cpu0.all) / load.sent,
    /** CPU of the load generator's process during the load, per request. */
    generatorCpuMsPerRequest: load.generatorCpuMs / load.sent,
    /** CPU of this process during the load (for the control plane: the Slack stand-in and the scripted agent), per request. */
    benchCpuMsPerRequest: (bench.user + bench.system) / 1000 / load.sent,
  };
}

/**
 * CPU time (user + system, ms) of a process's main thread and of the whole process, from
 * /proc (Linux; the main thread's task id is the process id). Wall-clock tails swing with
 * whatever else the machine runs; CPU time spent on the HTTP thread does not.
 */
function cpuMs(pid: number | undefined): { main: number; all: number } {
  const read = (path: string) => {
    try {
      return statCpuMs(path);
    } catch {
      return Number.NaN;
    }
  };
  if (!pid) return { main: Number.NaN, all: Number.NaN };
  return { main: read(`/proc/${pid}/task/${pid}/stat`), all: read(`/proc/${pid}/stat`) };
}
