import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { benchAck } from "./ack.ts";
import { round } from "./stats.ts";
import { benchTriage } from "./triage.ts";

/**
 * `npm run bench [-- --only ack|triage] [--runs N]`: measures, prints a Markdown report and
 * writes it with the raw numbers to bench/results/latest.{md,json}.
 */
const { values } = parseArgs({
  options: { only: { type: "string" }, runs: { type: "string" }, requests: { type: "string" } },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const report: string[] = [`Measured ${new Date().toISOString()} on ${machine}.`, ""];
const raw: Record<string, unknown> = { machine };

if (values.only !== "triage") {
  const requests = Number(values.requests ?? 500);
  report.push(
    "### Slash-command ack latency",
    "",
    `${requests} really signed requests, 20 concurrent, control plane in its own process.`,
    "",
  );
  report.push("| command | p50 | p99 | max | throughput | failures |", "|---|---|---|---|---|---|");
  for (const text of ["triage node-3", "hosts"]) {
    log(`ack: /openclaw ${text}…`);
    const r = await benchAck({ requests, concurrency: 20, text });
    raw[`ack ${text}`] = r;
    report.push(
      `| \`/openclaw ${text}\` | ${round(r.p50Ms)} ms | ${round(r.p99Ms)} ms | ${round(r.maxMs)} ms | ${Math.round(r.throughputPerS)}/s | ${r.failures} |`,
    );
  }
  report.push("");
}

if (values.only !== "ack") {
  const runs = Number(values.runs ?? 5);
  const results = await benchTriage({ runs, log });
  raw.triage = results;
  report.push(
    "### Triage wall time vs the manual ladder",
    "",
    `Real OpenClaw gateway, real agent; from the signed command to the result message (first answer: fast probes in; final: every probe in); ${runs} runs each.`,
    "",
  );
  report.push(
    "| gateway | first answer (median) | final answer (median / max) | top finding | manual ladder (sequential) |",
    "|---|---|---|---|---|",
  );
  for (const r of results) {
    const first = `${round(r.firstAnswerMedianMs / 1000, 2)} s`;
    const final = `${round(r.medianMs / 1000, 2)} s / ${round(r.maxMs / 1000, 2)} s`;
    const ladder = `${round(r.ladder.totalMs / 1000, 1)} s`;
    report.push(`| ${r.state} | ${first} | ${final} | \`${r.topFinding ?? "none"}\` | ${ladder} |`);
  }
  report.push("", "Manual ladder, per command:", "", "| command | healthy | stopped |", "|---|---|---|");
  const [healthy, stopped] = results;
  healthy?.ladder.steps.forEach((s, i) => {
    const st = stopped?.ladder.steps[i];
    report.push(
      `| \`${s.command}\` | ${round(s.ms / 1000, 1)} s (exit ${s.exitCode}) | ${st ? `${round(st.ms / 1000, 1)} s (exit ${st.exitCode})` : "–"} |`,
    );
  });
  report.push("");
}

const md = report.join("\n");
process.stdout.write(`${md}\n`);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.md", import.meta.url), `${md}\n`);
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(raw, null, 2)}\n`);
