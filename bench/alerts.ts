import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startScriptedPlane } from "./scripted-plane.ts";
import { percentile, round } from "./stats.ts";

/**
 * `npm run bench:alerts [-- --requests N]`: how fast `POST /alerts/alertmanager` answers. N
 * Alertmanager payloads (version 4), 10 at a time, each a new firing alert for the one online
 * host (scripted agent in this process), against the control plane in its own process as
 * `npm start` runs it. Each answer includes the bearer check, zod validation and the host
 * lookup; the work after it (fingerprint claim, the per-host triage slot, the thread message,
 * the first alert's triage) competes for the same CPU. Writes bench/results/alerts.{md,json}.
 */
const { values } = parseArgs({ options: { requests: { type: "string" } } });
const requests = Number(values.requests ?? 300);
const concurrency = 10;
const token = "bench-alert-token";
const { cp, slack, close } = await startScriptedPlane({
  env: { CLAWOPS_INCIDENT_CHANNEL: "C0BENCH", CLAWOPS_ALERT_TOKEN: token },
});

const payload = (i: number) =>
  JSON.stringify({
    receiver: "clawops",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: `BenchAlert${i}`, instance: "node-3:9100", severity: "warning" },
        annotations: { summary: `bench alert ${i}` },
        startsAt: "2026-11-23T07:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.example.org:9090/graph",
        fingerprint: `bench${String(i).padStart(11, "0")}`,
      },
    ],
    groupLabels: { alertname: `BenchAlert${i}` },
    commonLabels: { severity: "warning" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.org:9093",
    version: "4",
    groupKey: `{}:{alertname="BenchAlert${i}"}`,
    truncatedAlerts: 0,
  });
const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
const post = (body: string) => fetch(`${cp.url}/alerts/alertmanager`, { method: "POST", headers, body });

// Warm-up (JIT, SQLite page cache): alerts naming no host, which do no work after the answer.
for (let i = 0; i < 20; i++) await (await post(payload(-1 - i).replace(/node-3:9100/, "warmup:9100"))).text();

const bodies = Array.from({ length: requests }, (_, i) => payload(i));
const latencies: number[] = [];
let next = 0;
let failures = 0;
const worker = async () => {
  while (next < requests) {
    const body = bodies[next++] as string;
    const t0 = performance.now();
    const res = await post(body);
    await res.text();
    latencies.push(performance.now() - t0);
    if (res.status !== 202) failures++;
  }
};
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const wallMs = performance.now() - t0;
// Every alert's thread message posted: the work after the answers finished.
await slack.waitFor(
  () =>
    slack.calls.filter((c) => c.method === "chat.postMessage" && String(c.body.text).includes("firing")).length >=
    requests,
  120_000,
  "every alert message",
);
const drainedMs = performance.now() - t0;
await close();
latencies.sort((a, b) => a - b);

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const r = {
  requests,
  concurrency,
  failures,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
  maxMs: latencies[latencies.length - 1] ?? 0,
  throughputPerS: (requests / wallMs) * 1000,
  allPostedMs: drainedMs,
};
const lines = [
  `Measured ${new Date().toISOString()} on ${machine}.`,
  "",
  "### Alert webhook answer latency",
  "",
  `${requests} Alertmanager payloads, ${concurrency} concurrent, each a new firing alert for one online host; control plane in its own process (\`npm run bench:alerts\`).`,
  "",
  "| route | p50 | p99 | max | throughput | failures | all alert messages posted after |",
  "|---|---|---|---|---|---|---|",
  `| \`POST /alerts/alertmanager\` | ${round(r.p50Ms)} ms | ${round(r.p99Ms)} ms | ${round(r.maxMs)} ms | ${Math.round(r.throughputPerS)}/s | ${failures} | ${round(r.allPostedMs / 1000, 2)} s |`,
  "",
];
process.stdout.write(`${lines.join("\n")}\n`);
const out = join(import.meta.dirname, "results", "alerts");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(`${out}.md`, `${lines.join("\n")}\n`);
writeFileSync(`${out}.json`, `${JSON.stringify({ machine, ...r }, null, 2)}\n`);
