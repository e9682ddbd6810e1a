/**
 * The ack bench's load generator (bench/ack.ts), in a process of its own: `requests` really
 * signed slash commands over `concurrency` connections, sent by autocannon, plus one more per
 * connection (its first, not counted).
 *
 * Why a process and autocannon, not `fetch` in the bench's own process: with `fetch` the load
 * generator's garbage collector paused it for 12–19 ms (scavenges, seen with a `gc`
 * PerformanceObserver) in most 500-request rounds, and the bench process also runs the Slack
 * stand-in and the scripted agent. Each such pause delayed the twenty requests in flight by the
 * same amount, so the p99 of a round of 500 (its fifth-slowest request) was mostly where the
 * client paused, in whichever server's round it fell (docs/benchmarks.md). autocannon builds
 * each request's bytes once and parses responses without `fetch`'s objects.
 *
 * `node bench/signed-load.ts '<json options>'`: prints `ready` once its requests are signed, starts on
 * a line on stdin, then prints one JSON line with the figures.
 */
import autocannon from "autocannon";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { percentile } from "./stats.ts";

interface Options {
  url: string;
  secret: string;
  text: string;
  requests: number;
  concurrency: number;
}

const opts = JSON.parse(process.argv[2] ?? "{}") as Options;

// Each connection's first request is sent too but not counted in the percentiles: it waits for
// the server to accept the connection, and a closed loop opens all of them in the same instant
// (reported apart, as `connectMaxMs`).
const total = opts.requests + opts.concurrency;
// Signed before the clock starts: the generator's own HMAC work is not the server's latency.
// Signatures stay valid for Slack's five minutes; each has its own trigger_id, so none is a replay.
// One more per connection than are sent: autocannon builds each connection's next request ahead.
const signed = Array.from({ length: total + opts.concurrency }, (_, i) => {
  const body = slashCommandBody({ text: opts.text, channel_id: `C0BENCH${i % 10}`, trigger_id: `bench.${i}` });
  return { body, headers: signSlack(opts.secret, body) };
});
let next = 0;
let refused = 0;

// Loaded and signed: the bench reads the server's CPU, then says go.
process.stdout.write("ready\n");
await new Promise<void>((resolve) => {
  process.stdin.once("data", () => resolve());
});
process.stdin.pause();

// autocannon's own histogram keeps whole milliseconds; each response's time is kept here instead.
const latencies: number[] = [];
const firsts: number[] = [];
const connected = new Set<unknown>();
let answered = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let wallMs = 0;
const instance = autocannon(
  {
    url: `${opts.url}/slack/commands`,
    connections: opts.concurrency,
    amount: total,
    // It checks whether to end once per sample; a short one ends the run right after the last answer.
    sampleInt: 10,
    // One request template; each use takes the next signed body (the array would start over per connection).
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const r = signed[next++ % signed.length] as (typeof signed)[number];
          return { ...req, headers: r.headers, body: r.body };
        },
        onResponse: (status, body) => {
          if (status !== 200 || (JSON.parse(body) as { text?: string }).text?.startsWith("Error")) refused++;
        },
      },
    ],
  },
  () => {},
);
instance.on("response", (client, _status, _bytes, ms: number) => {
  answered++;
  if (connected.has(client)) latencies.push(ms);
  else {
    connected.add(client);
    firsts.push(ms);
  }
  // The last answer: the bench reads the server's CPU now, before anything after the load runs.
  if (answered === total) {
    wallMs = performance.now() - t0;
    process.stdout.write("done\n");
  }
});
const result = await new Promise<autocannon.Result>((resolve) => instance.once("done", resolve));
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);

process.stdout.write(
  `${JSON.stringify({
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    connectMaxMs: Math.max(...firsts),
    sent: answered,
    wallMs,
    failures: refused + result.errors + result.timeouts + result.non2xx + (total - answered),
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
