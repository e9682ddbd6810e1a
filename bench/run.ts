import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../scripts/build-agent.ts";
import { benchAck, benchBareHono } from "./ack.ts";
import { type AgentDay, benchAgentDay, DAY, WINDOW_MS } from "./agent-day.ts";
import {
  benchAgentProcess,
  benchBareNode,
  benchFleet,
  benchFleetAb,
  benchHubMemory,
  type FleetAbRun,
} from "./fleet.ts";
import { benchFleetWorkerd, HIBERNATION_WAIT_MS } from "./fleet-workerd.ts";
import { percentile, round } from "./stats.ts";
import { benchTriage } from "./triage.ts";
import { benchAgentWatch, benchHubWatch, benchStatusFromWatch } from "./watch.ts";

/**
 * `npm run bench [-- --only ack|triage] [--runs N] [--no-ladder]` (`--only ack [--rounds N] [--requests N] [--baseline <checkout>]`: the ack against a bare hono app, and against another checkout's control plane, in interleaved rounds): measures, prints a Markdown report and
 * writes it with the raw numbers to bench/results/latest.{md,json}.
 * Fleet benchmarks run only when named: `--only fleet` (status all + reconnect storm),
 * `--only hub-mem`, or `--only fleet,hub-mem`; `--agents N` (default 1000), `--procs P` (agent
 * simulator processes, default 4). They write bench/results/fleet.{md,json}. `--only agent-mem`
 * (a real agent process's memory) writes bench/results/agent-mem.{md,json}; `--tls` adds the agent over
 * `wss://` (through a TLS proxy on loopback) beside the `ws://` one in each round. `--only fleet-workerd` (status all against the Worker in
 * workerd) writes bench/results/fleet-workerd.{md,json}, so the Node numbers stay: `--agents 1000
 * --stored 10000 --rounds 5` runs `status all` from stored state and `status all --live` over
 * 1,000 live agents in interleaved rounds, then `status all` from stored state over 10,000 hosts
 * (`--agents` takes a list, one section per size; `--fanout-group N` sets CLAWOPS_FANOUT_GROUP). `--only watch` (the watch's budgets: a
 * real agent watching a real gateway, the control plane per watching host, status from the
 * stored watch state over 1,000 and 10,000 hosts) writes bench/results/watch.{md,json}.
 * `--only fleet-ab --agents 1000,10000 --rounds 3 --runs 2 --baseline <checkout> [--command "status all --live"] [--baseline-command "status all"]`: this checkout's status all
 * against another checkout's, in interleaved rounds (bench/results/fleet-ab.{md,json}).
 * `--only agent-day [--scale X]` (the agent's compressed day: X × 2,000 triages, 100,000 watch probes
 * and 500 reconnects, its RSS and descriptors over the day; bench/agent-day.ts) writes
 * bench/results/agent-day.{md,json}.
 */
const { values } = parseArgs({
  options: {
    only: { type: "string" },
    runs: { type: "string" },
    requests: { type: "string" },
    agents: { type: "string" },
    procs: { type: "string" },
    rounds: { type: "string" },
    baseline: { type: "string" },
    sources: { type: "boolean" },
    tls: { type: "boolean" },
    command: { type: "string" },
    "baseline-command": { type: "string" },
    stored: { type: "string" },
    "fanout-group": { type: "string" },
    scale: { type: "string" },
    "no-ladder": { type: "boolean" },
  },
});
/** The Node fleet report (bench/results/fleet.*): status all, the storm, hub memory. */
const NODE_FLEET_BENCHES = ["fleet", "storm", "hub-mem"];
const FLEET_BENCHES = [...NODE_FLEET_BENCHES, "agent-mem", "fleet-workerd", "watch", "fleet-ab", "agent-day"];
const only = new Set((values.only ?? "").split(",").filter(Boolean));
const fleetRun = [...only].some((o) => FLEET_BENCHES.includes(o));
const nodeFleetRun = [...only].some((o) => NODE_FLEET_BENCHES.includes(o));
const log = (line: string) => process.stderr.write(`${line}\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const report: string[] = [`Measured ${new Date().toISOString()} on ${machine}.`, ""];
const raw: Record<string, unknown> = { machine };

if (!fleetRun && values.only !== "triage") {
  const requests = Number(values.requests ?? 500);
  const rounds = Number(values.rounds ?? values.runs ?? 5);
  const baselineMain = values.baseline ? join(values.baseline, "src/node/main.ts") : undefined;
  report.push(
    "### Slash-command ack latency",
    "",
    `${requests} really signed requests, 20 connections, sent by autocannon from a load-generator process of its own (bench/signed-load.ts), each server in its own process; ${rounds} interleaved rounds (bare hono, then \`/openclaw triage node-3\`${baselineMain ? ", then the same against the baseline checkout" : ""}, then \`/openclaw hosts\`). min / median / max over the rounds; the ratio is each round's p99 over the same round's bare hono p99. CPU per request is read from /proc during the load: the server's HTTP (main) thread and the whole process.`,
    "",
  );
  type AckRun = Awaited<ReturnType<typeof benchAck>>;
  const runs: Record<string, AckRun[]> = {
    bare: [],
    "triage node-3": [],
    ...(baselineMain ? { "triage node-3 (baseline)": [] } : {}),
    hosts: [],
  };
  for (let i = 0; i < rounds; i++) {
    log(`ack round ${i + 1}/${rounds}…`);
    runs.bare?.push(await benchBareHono({ requests, concurrency: 20, text: "triage node-3" }));
    runs["triage node-3"]?.push(await benchAck({ requests, concurrency: 20, text: "triage node-3" }));
    if (baselineMain)
      runs["triage node-3 (baseline)"]?.push(
        await benchAck({ requests, concurrency: 20, text: "triage node-3", main: baselineMain }),
      );
    runs.hosts?.push(await benchAck({ requests, concurrency: 20, text: "hosts" }));
  }
  raw.ack = runs;
  const mmm = (xs: number[], d = 1) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${round(s[0] ?? Number.NaN, d)} / ${round(percentile(s, 50), d)} / ${round(s[s.length - 1] ?? Number.NaN, d)}`;
  };
  report.push(
    "| server | p50 (ms) | p99 (ms) | p99 ÷ bare hono p99 | HTTP-thread CPU per request (ms) | process CPU per request (ms) | load generator CPU per request (ms) | throughput (/s) | failures |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  const bare = runs.bare ?? [];
  for (const [name, rs] of Object.entries(runs)) {
    const ratios = rs.map((r, j) => r.p99Ms / (bare[j]?.p99Ms ?? Number.NaN));
    report.push(
      `| ${name === "bare" ? "bare hono (same signature check)" : `\`/openclaw ${name}\``} | ${mmm(rs.map((r) => r.p50Ms))} | ${mmm(rs.map((r) => r.p99Ms))} | ${name === "bare" ? "1" : `${mmm(ratios, 2)}×`} | ${mmm(
        rs.map((r) => r.mainCpuMsPerRequest),
        3,
      )} | ${mmm(
        rs.map((r) => r.processCpuMsPerRequest),
        3,
      )} | ${mmm(
        rs.map((r) => r.generatorCpuMsPerRequest),
        3,
      )} | ${mmm(
        rs.map((r) => r.throughputPerS),
        0,
      )} | ${rs.reduce((n, r) => n + r.failures, 0)} |`,
    );
  }
  report.push(
    "",
    `Per-round p99 ÷ bare hono p99, triage: ${(runs["triage node-3"] ?? []).map((r, j) => round(r.p99Ms / (bare[j]?.p99Ms ?? Number.NaN), 2)).join(", ")}${baselineMain ? `; baseline: ${(runs["triage node-3 (baseline)"] ?? []).map((r, j) => round(r.p99Ms / (bare[j]?.p99Ms ?? Number.NaN), 2)).join(", ")}` : ""}.`,
    "",
    `Each connection's first request (sent, not in the percentiles: it waits for the server to accept the connection), the slowest per round, min / median / max: ${Object.entries(
      runs,
    )
      .map(([name, rs]) => `${name === "bare" ? "bare hono" : name} ${mmm(rs.map((r) => r.connectMaxMs))} ms`)
      .join("; ")}.`,
    "",
  );
}

if (!fleetRun && values.only !== "ack") {
  const runs = Number(values.runs ?? 5);
  const results = await benchTriage({ runs, ladder: !values["no-ladder"], log });
  raw.triage = results;
  const s = (ms: number) => `${round(ms / 1000, 2)}`;
  const mmm = (x: { minMs: number; medianMs: number; maxMs: number }) =>
    `${s(x.minMs)} / ${s(x.medianMs)} / ${s(x.maxMs)} s`;
  report.push(
    "### Triage wall time vs the manual ladder",
    "",
    `Real OpenClaw gateway, real agent; from the signed command to the result message (first answer: fast probes in; final: every probe in). ${runs} interleaved rounds; each round runs, healthy then stopped, a triage with the agent's doctor cache missing (a new entry in the state folder changed its key, so doctor runs for that triage) and one with it warm. Figures are min / median / max.`,
    "",
  );
  const ladderOf = (state: "healthy" | "stopped") =>
    results.ladder ? `${round(results.ladder[state].totalMs / 1000, 1)} s` : "not run";
  report.push(
    "| gateway | doctor cache | first answer | final answer | doctor part of the answer | top finding | manual ladder (sequential) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const c of results.cells) {
    report.push(
      `| ${c.state} | ${c.doctor} | ${mmm(c.first)} | ${mmm(c.final)} | ${c.doctorNote ?? "–"} | \`${c.topFinding ?? "none"}\` | ${ladderOf(c.state)} |`,
    );
  }
  if (results.ladder) {
    const { healthy, stopped } = results.ladder;
    report.push("", "Manual ladder, per command:", "", "| command | healthy | stopped |", "|---|---|---|");
    healthy.steps.forEach((st, i) => {
      const sp = stopped.steps[i];
      report.push(
        `| \`${st.command}\` | ${round(st.ms / 1000, 1)} s (exit ${st.exitCode}) | ${sp ? `${round(sp.ms / 1000, 1)} s (exit ${sp.exitCode})` : "–"} |`,
      );
    });
  }
  report.push("");
}

const agents = Number(values.agents ?? 1000);
const procs = Number(values.procs ?? 4);
if (nodeFleetRun && !Number.isInteger(agents)) throw new Error("a list of --agents is for --only fleet-workerd alone");
if (nodeFleetRun) {
  const nodeOnly = [...only].filter((o) => NODE_FLEET_BENCHES.includes(o));
  const cmd = `npm run bench -- --only ${nodeOnly.join(",")} --agents ${agents} --procs ${procs}`;
  report.push(`Reproduce: \`${cmd}\``, "");
  if (only.has("fleet") || only.has("storm")) {
    const r = await benchFleet({ agents, procs, runs: Number(values.runs ?? 3), log });
    raw.fleet = r;
    report.push(
      `### \`/openclaw status all\` over ${agents} simulated agents (Node)`,
      "",
      `Control plane in its own process (\`npm start\`); ${agents} agents as real \`ws\` clients with enrolled Ed25519 identities in ${procs} child processes, answering the quick probe with canned data (1 in 50 with its gateway down). Time from the console command to the fleet message (client) and the fan-out as the control plane measured it (server). Target: under 2 s.`,
      "",
      "| run | client | server | message |",
      "|---|---|---|---|",
      ...r.status.map(
        (s, i) => `| ${i + 1} | ${round(s.wallMs)} ms | ${round(s.serverMs)} ms | ${s.summary} (${s.blocks} blocks) |`,
      ),
      "",
      `Enrolling ${agents} hosts over HTTP: ${round(r.enrollS, 1)} s; first connect of all: ${round(r.firstConnectS, 1)} s; control-plane RSS growth ${round(r.cpRssKbPerAgent, 1)} KB per connected agent.`,
      "",
      "### Reconnect storm",
      "",
      `The control plane is killed (SIGKILL) with a triage in flight and restarted on the same port and data; the ${agents} agents reconnect with full jitter (base 500 ms, cap 5 s).`,
      "",
      "| down (kill → listening again) | all back after restart | handshakes | job in flight | re-run | status all after |",
      "|---|---|---|---|---|---|",
      `| ${round(r.storm.downMs / 1000, 2)} s | ${round(r.storm.allBackMs / 1000, 2)} s | ${r.storm.welcomes} | ${r.storm.lostJob.status}: ${r.storm.lostJob.detail ?? ""} | ${r.storm.rerun.status} | ${r.storm.statusAfter} |`,
      "",
    );
  }
  if (only.has("hub-mem")) {
    const r = await benchHubMemory({ agents, procs, log });
    raw.hubMemory = r;
    report.push(
      "### Hub memory per connected idle agent",
      "",
      `Hub (whole control plane) in the bench process, ${agents} idle agents in ${procs} child processes; after a forced GC, (after − before) / ${agents}. Target: under 64 KB.`,
      "",
      "| heap | external (buffers) | RSS |",
      "|---|---|---|",
      `| ${round(r.heapKbPerAgent, 1)} KB | ${round(r.externalKbPerAgent, 1)} KB | ${round(r.rssKbPerAgent, 1)} KB |`,
      "",
    );
  }
}

// Its own report (bench/results/agent-mem.*), so re-measuring the agent keeps the fleet numbers.
if (only.has("agent-mem")) {
  // `--rounds N` (default 3): bare Node, then the agent's bundle, N times, interleaved; a
  // round's ratio is its agent over its bare Node. `--sources` adds the agent run from sources.
  // `--tls` adds, in each round, the bundle over `wss://` (test/support/tls-proxy.ts) beside `ws://`.
  const rounds = Number(values.rounds ?? 3);
  const tls = values.tls === true;
  const agentReport: string[] = [
    `Measured ${new Date().toISOString()} on ${machine}.`,
    "",
    `Reproduce: \`npm run bench -- --only agent-mem --rounds ${rounds}${tls ? " --tls" : ""}${values.sources ? " --sources" : ""}\``,
    "",
  ];
  const agentRaw: Record<string, unknown> = { machine };
  // The bundle a host would run (scripts/build-agent.ts), built fresh into a temp folder.
  const out = join(mkdtempSync(join(tmpdir(), "clawops-bench-bundle-")), "clawops-agent.mjs");
  await buildAgent(out);
  const bundle = {
    label: `bundle (\`node ${AGENT_NODE_FLAGS.join(" ")} dist/clawops-agent.mjs run\`)`,
    launch: { entry: out, nodeArgs: AGENT_NODE_FLAGS },
  };
  const bare: Awaited<ReturnType<typeof benchBareNode>>[] = [];
  const agent: Awaited<ReturnType<typeof benchAgentProcess>>[] = [];
  const agentWss: Awaited<ReturnType<typeof benchAgentProcess>>[] = [];
  for (let i = 0; i < rounds; i++) {
    log(`agent-mem round ${i + 1}/${rounds}: bare Node, then the agent${tls ? " over ws:// and over wss://" : ""}…`);
    bare.push(await benchBareNode({ idleS: 20, nodeArgs: AGENT_NODE_FLAGS }));
    // With --tls, ws:// and wss:// take turns going first, so neither always follows bare Node.
    if (tls && i % 2 === 1) agentWss.push(await benchAgentProcess({ idleS: 20, variant: bundle, log, tls }));
    agent.push(await benchAgentProcess({ idleS: 20, variant: bundle, log }));
    if (tls && i % 2 === 0) agentWss.push(await benchAgentProcess({ idleS: 20, variant: bundle, log, tls }));
  }
  const sources = values.sources
    ? await benchAgentProcess({ idleS: 20, variant: { label: "sources (`node src/agent/main.ts run`)" }, log })
    : null;
  rmSync(dirname(out), { recursive: true, force: true });
  agentRaw.bare = bare;
  agentRaw.agentProcess = agent;
  if (tls) agentRaw.agentProcessWss = agentWss;
  if (sources) agentRaw.sources = sources;
  const mmm = (xs: number[], digits = 1) => {
    const v = [...xs].sort((a, b) => a - b);
    return `${round(v[0] ?? Number.NaN, digits)} / ${round(percentile(v, 50), digits)} / ${round(v[v.length - 1] ?? Number.NaN, digits)}`;
  };
  const ratios = agent.map((a, i) => a.rssMb / (bare[i]?.rssMb ?? Number.NaN));
  const ratiosAfter = agent.map((a, i) => a.rssAfterTriageMb / (bare[i]?.rssMb ?? Number.NaN));
  const wssRatios = agentWss.map((a, i) => a.rssMb / (bare[i]?.rssMb ?? Number.NaN));
  const wssRatiosAfter = agentWss.map((a, i) => a.rssAfterTriageMb / (bare[i]?.rssMb ?? Number.NaN));
  agentRaw.ratio = {
    idle: ratios,
    afterTriage: ratiosAfter,
    ...(tls ? { wssIdle: wssRatios, wssAfterTriage: wssRatiosAfter } : {}),
  };
  // One row of the table: a run of the agent per round.
  const agentRow = (label: string, runs: typeof agent, idle: number[], after: number[]) =>
    `| ${label} | ${mmm(runs.map((a) => a.rssMb))} MB | ${mmm(runs.map((a) => a.rssAnonMb))} MB | ${mmm(runs.map((a) => a.rssFileMb))} MB | ${mmm(runs.map((a) => a.rssAfterTriageMb))} MB | ${mmm(idle, 2)}× | ${mmm(after, 2)}× | ${mmm(
      runs.map((a) => a.idleCpuPct),
      2,
    )} % |`;
  // With --tls: what wss:// costs over ws://, round by round (the same round's two agents).
  const wssDelta = (f: (a: (typeof agent)[number]) => number) =>
    mmm(
      agentWss.map((w, i) => f(w) - f(agent[i] ?? w)),
      1,
    );
  agentReport.push(
    "### `clawops-agent` resident memory against bare Node",
    "",
    `${rounds} interleaved rounds. Bare Node: a file that only keeps a timer, run with the agent's flags and environment, idle 20 s. The agent: the bundle a host runs, enrolled and connected over \`ws://\` to a control plane on loopback, idle 20 s, then one triage job (its gateway does not exist: port 9, no \`openclaw\` CLI). RSS is the maximum over the idle span. Budgets (issue 31): ≤ 64 MB idle, ≤ 72 MB after a triage, over \`ws://\` and \`wss://\`. min / median / max over the rounds.${
      tls
        ? " Over `wss://`: the same bundle in the same round, enrolled with an `https://` server URL and so connected over `wss://`, as hosts dial a control plane behind TLS, through a TLS-terminating proxy on loopback (test/support/tls-proxy.ts: a `node:tls` server piping each connection to the control plane's port, a throwaway self-signed P-256 certificate the agent trusts through `NODE_EXTRA_CA_CERTS`); `ws://` and `wss://` take turns running first."
        : ""
    }`,
    "",
    "| process | RSS idle (max) | private (RssAnon) | file-backed (RssFile) | RSS after a triage | × bare Node, idle | × bare Node, after a triage | idle CPU |",
    "|---|---|---|---|---|---|---|---|",
    `| bare Node 24 (\`node ${AGENT_NODE_FLAGS.join(" ")} bare.mjs\`) | ${mmm(bare.map((b) => b.rssMb))} MB | ${mmm(bare.map((b) => b.rssAnonMb))} MB | ${mmm(bare.map((b) => b.rssFileMb))} MB | – | 1 | 1 | – |`,
    agentRow(tls ? `${bundle.label}, over \`ws://\`` : bundle.label, agent, ratios, ratiosAfter),
    ...(tls ? [agentRow(`${bundle.label}, over \`wss://\``, agentWss, wssRatios, wssRatiosAfter)] : []),
    ...(sources
      ? [
          `| ${sources.label} | ${round(sources.rssMb, 1)} MB | ${round(sources.rssAnonMb, 1)} MB | ${round(sources.rssFileMb, 1)} MB | ${round(sources.rssAfterTriageMb, 1)} MB | – | – | ${round(sources.idleCpuPct, 2)} % |`,
        ]
      : []),
    "",
    ...(tls
      ? [
          `\`wss://\` over \`ws://\` in the same round, min / median / max: RSS idle ${wssDelta((a) => a.rssMb)} MB, private ${wssDelta((a) => a.rssAnonMb)} MB, file-backed ${wssDelta((a) => a.rssFileMb)} MB, after a triage ${wssDelta((a) => a.rssAfterTriageMb)} MB, peak (VmHWM) ${wssDelta((a) => a.peakRssMb)} MB. TLS connections the proxy accepted per round (the enrollment's, then the agent's): ${agentWss.map((a) => a.tlsConnections ?? 0).join(", ")}.`,
          "",
        ]
      : []),
  );
  writeReport("agent-mem", agentReport, agentRaw);
}

if (only.has("agent-day")) {
  const scale = Number(values.scale ?? 1);
  const day = await benchAgentDay({ scale, log });
  writeReport("agent-day", agentDayReport(day), {
    machine,
    loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
    day,
  });
}

if (only.has("watch")) {
  // 600 s: 20 probes at 30 s. Five (150 s) read 23-24 ms where twenty read 17 (docs/benchmarks.md,
  // the watch's fourth pass): one collection or one full read moves a handful of probes by 2-3 ms.
  const seconds = Number(values.runs ?? 600);
  const phases = await benchAgentWatch({
    phases: [
      { intervalS: 1, seconds: 60 },
      { intervalS: 0, seconds: 120 },
      { intervalS: 30, seconds },
    ],
    log,
  });
  const hub = await benchHubWatch({ hosts: 10_000 });
  const status = [];
  for (const hosts of [1_000, 10_000]) {
    log(`watch: status all from the stored state over ${hosts} hosts…`);
    status.push(await benchStatusFromWatch({ hosts, runs: 5 }));
  }
  const fast = phases[0] as (typeof phases)[number];
  const idle = phases.find((p) => p.intervalS === 0);
  const watching = phases.filter((p) => p.intervalS > 0);
  // What the watch itself costs: the phase's CPU less what the same agent spends not watching.
  const netPerProbe = (p: (typeof phases)[number]) =>
    idle ? p.cpuMsPerProbe - (idle.cpuMsPerMinute * p.wallS) / 60 / p.probes : Number.NaN;
  // A steady host at the default 30 s interval: one state when it connects, the digest confirming
  // it, then a digest every 10 min (6 an hour); each change costs one state and one digest.
  const digestBytes = Math.max(...phases.map((p) => p.digestBytes));
  const stateBytes = Math.max(...phases.map((p) => p.stateBytes));
  const steadyPerHour = 6 * digestBytes;
  const perChange = stateBytes + digestBytes;
  writeReport(
    "watch",
    [
      `Measured ${new Date().toISOString()} on ${machine}.`,
      "",
      "Reproduce: `npm run bench -- --only watch [--runs SECONDS]` (the 30 s phase, default 600 s; with the 1 s phase, the agent with the watch off for 120 s and 20 s of start-up each, ≈14 min in all).",
      "",
      "### The agent while watching",
      "",
      `The bundle run as the service runs it (\`${AGENT_NODE_FLAGS.join(" ")}\`), watching a real, healthy OpenClaw gateway; a fresh agent process per interval (\`CLAWOPS_WATCH_INTERVAL_S\`). CPU is the time the scheduler ran the agent's threads over the phase (\`/proc/<pid>/task/*/schedstat\`, in ns; the process's \`stat\` counts 10 ms ticks), divided by the probes the agent completed (its probe number, which every frame carries: the bench's digest period is 1 s, so every probe sends a state or a digest); at 1 s (30× the default) it is mostly the quick probe's own cost, scaled to 30 s in the last column. "states" should be 0 on a steady gateway (only changes are sent). "Carried / rescanned": the probes that carried the host readings of an earlier full read on their checks alone / after a scan of every process's \`stat\` (tasks had been created on the host since: this machine's other work too) (docs/watch.md "What a probe reads"; the agent logs each probe at debug level); the others read the host in full (the first probe, then every 5 min, and when a check failed).`,
      "",
      "| interval | phase | probes (carried / rescanned) | states / digests sent | RSS max / median | CPU per probe | of it, the watch's own | CPU per minute | CPU, measured | CPU at 30 s |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...watching.map(
        (p) =>
          `| ${p.intervalS} s | ${p.seconds} s | ${p.probes} (${p.carried} / ${p.rescanned}) | ${p.states} / ${p.digests} | ${round(p.rssMaxMb, 1)} MB / ${round(p.rssMedianMb, 1)} MB | ${round(p.cpuMsPerProbe, 1)} ms | ${idle ? `${round(netPerProbe(p), 1)} ms` : "–"} | ${round(p.cpuMsPerMinute, 0)} ms | ${round(p.cpuPct, 3)} % | ${round((p.cpuMsPerProbe / 30_000) * 100, 3)} % |`,
      ),
      ...(idle
        ? [
            `| off | ${idle.seconds} s | – | – | ${round(idle.rssMaxMb, 1)} MB / ${round(idle.rssMedianMb, 1)} MB | – | – | ${round(idle.cpuMsPerMinute, 0)} ms | ${round(idle.cpuPct, 3)} % | – |`,
          ]
        : []),
      "",
      "The watch off (`CLAWOPS_WATCH_INTERVAL_S=0`): the same agent connected and idle, its heartbeats (the bench's hub asks for one a minute; a control plane's default is 15 s) and the doctor cache's key check once a minute. \"Of it, the watch's own\": the phase's CPU per minute less the idle agent's, per probe.",
      "",
      `Fields that differed between two states of the steady gateway: ${[...new Set(phases.flatMap((p) => p.changedPaths))].join(", ") || "none"}.`,
      "",
      `Wire (JSON text of the frames): a state ${stateBytes} B, a digest ${digestBytes} B. A steady host: ${steadyPerHour} B per hour (6 digests); each change of its results ${perChange} B (the state and the digest confirming it), so a host flapping every 2 min ≈ ${Math.round(30 * perChange + steadyPerHour)} B/h. The heartbeat that existed before the watch (every 15 s on Node) is not counted.`,
      "",
      "### The control plane per watching host",
      "",
      `In process, no sockets (the per-socket cost is the hub-memory figure in fleet.md): ${hub.hosts.toLocaleString("en")} hosts, each frame parsed by the hub's zod schema and handled by the watch (classified with the triage classifier, stored in SQLite).`,
      "",
      "| state frame (parse + classify + store) | digest frame | stored state per host | one sweep over all hosts (every 5 s) |",
      "|---|---|---|---|",
      `| ${Math.round(hub.stateFrameUs)} µs | ${Math.round(hub.digestFrameUs)} µs | ${Math.round(hub.storedBytesPerHost)} B | ${round(hub.sweepMs, 2)} ms |`,
      "",
      `A steady host at the default rates: 6 digests an hour, ${round((6 * hub.digestFrameUs) / 1000, 2)} ms of CPU per host per hour; 10,000 steady hosts ≈ ${round(((10_000 * 6 * hub.digestFrameUs) / 1e6 / 3600) * 100, 3)} % of a core, plus the sweep (${round((hub.sweepMs / 5_000) * 100, 3)} % of a core at 10,000 hosts).`,
      "",
      "### `status all` from the stored watch state (Node)",
      "",
      "SQLite with N enrolled hosts, each with a stored watch state (1 in 50 failing); read every state, build the rows, render the matrix; 5 runs.",
      "",
      "| hosts | median | max |",
      "|---|---|---|",
      ...status.map(
        (s) => `| ${s.hosts.toLocaleString("en")} | ${round(s.medianMs, 1)} ms | ${round(s.maxMs, 1)} ms |`,
      ),
      "",
    ],
    { machine, agent: phases, fast, hub, status },
  );
}

function agentDayReport(d: AgentDay): string[] {
  const mb = (kb: number) => `${round(kb / 1024, 1)} MB`;
  const [start, mid, end] = d.checkpoints;
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
  const rssOk = d.rssGrowthSecondHalfKb <= 2048;
  const fdOk = d.fdGrowthSecondHalf <= 0;
  return [
    `Measured ${new Date().toISOString()} on ${machine}; load average at the end: ${readFileSync("/proc/loadavg", "utf8").trim()}.`,
    "",
    `Reproduce: \`npm run bench -- --only agent-day --scale ${d.scale}\`${d.scale === 1 ? "" : ` (scale ${d.scale}: ${d.scale} × the day of the budget, ${DAY.triages.toLocaleString("en")} triages, ${DAY.probes.toLocaleString("en")} watch probes, ${DAY.reconnects} reconnects)`}`,
    "",
    "### The agent's compressed day",
    "",
    `The bundle as the service runs it (\`${AGENT_NODE_FLAGS.join(" ")}\`, ${Object.entries(AGENT_SERVICE_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(
        " ",
      )}), enrolled with a real control plane (its own process: bench/agent-day-plane.ts, \`startControlPlane\` with the console on, the hub's heartbeat at 1 s instead of 15 s) and reaching it through a TCP relay of the bench's. No gateway (port 9, no \`openclaw\` CLI): every probe fails fast; the budget is the agent's own growth. Triages are console commands, one at a time; the watch probes back to back (\`CLAWOPS_WATCH_INTERVAL_S=0.01\`, a frame after each); reconnects in a pattern of ten: two control-plane restarts (SIGKILL and SIGTERM in turn, same port and data folder), three half-open links (the relay stops carrying both ways and closes nothing), five drops (the relay resets both sides). Each is due when the probes reach its place in the day. RSS and descriptors: the median of a ${WINDOW_MS / 1000} s window (no triage, no reconnect; probes go on) at the start, the middle and the end.`,
    "",
    "| budget | measured | |",
    "|---|---|---|",
    `| RSS growth over the second half ≤ 2 MB | ${round(d.rssGrowthSecondHalfKb / 1024, 2)} MB (middle ${mb(mid?.rssMedianKb ?? 0)} → end ${mb(end?.rssMedianKb ?? 0)}) | ${rssOk ? "✅" : "❌"} |`,
    `| no descriptor growth | ${d.fdGrowthSecondHalf >= 0 ? "+" : ""}${d.fdGrowthSecondHalf} (fewest in the window: middle ${mid?.fdMin}, end ${end?.fdMin}) | ${fdOk ? "✅" : "❌"} |`,
    "",
    "| checkpoint | at | probes so far | RSS median (min–max) | of it anonymous / file pages | descriptors fewest / median / most |",
    "|---|---|---|---|---|---|",
    ...d.checkpoints.map(
      (c) =>
        `| ${c.label} | ${Math.round(c.atS)} s | ${c.probes.toLocaleString("en")} | ${mb(c.rssMedianKb)} (${mb(c.rssMinKb)}–${mb(c.rssMaxKb)}) | ${mb(c.rssAnonKb)} / ${mb(c.rssFileKb)} | ${c.fdMin} / ${c.fdMedian} / ${c.fdMax} |`,
    ),
    "",
    `Growth over the first half: ${round(((mid?.rssMedianKb ?? 0) - (start?.rssMedianKb ?? 0)) / 1024, 2)} MB; the peak over the day (VmHWM): ${mb(d.peakRssKb)}. Descriptors at the end: ${list(end?.fdKinds ?? {})}.`,
    "",
    "| | planned | done |",
    "|---|---|---|",
    `| triages | ${d.planned.triages} | ${sum(d.triages)}: ${list(d.triages)} (sent again after an answer without a job, the host away or the control plane restarting: ${d.triageRetries} times) |`,
    `| watch probes | ${d.planned.probes.toLocaleString("en")} | ${d.probesRun.toLocaleString("en")} run (the agent's count, from its frames); ${d.probeFrames.toLocaleString("en")} frames received by the control plane |`,
    `| reconnects | ${sum(d.planned.reconnects)} (${list(d.planned.reconnects)}) | ${sum(d.reconnects)} (${list(d.reconnects)}); the hub welcomed ${d.hubWelcomes} handshakes after the first and dropped ${d.hubMissedPings} links for missed pings; the agent's log: ${d.agentConnects} connections after the first, ${d.agentSilentDrops} silent links dropped, ${d.agentJobs} jobs finished |`,
    "",
    `Wall time ${round(d.wallS / 60, 1)} min; the agent's CPU ${round(d.agentCpuS, 0)} s (${round((d.agentCpuS * 1000) / Math.max(1, d.probesRun + sum(d.triages)), 1)} ms per probe or triage).`,
    "",
  ];
}

function writeReport(name: string, lines: string[], data: Record<string, unknown>): void {
  const md = lines.join("\n");
  process.stdout.write(`${md}\n`);
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${name}.md`, import.meta.url), `${md}\n`);
  writeFileSync(new URL(`./results/${name}.json`, import.meta.url), `${JSON.stringify(data, null, 2)}\n`);
}

if (!fleetRun || nodeFleetRun) writeReport(fleetRun ? "fleet" : values.only === "ack" ? "ack" : "latest", report, raw);

if (only.has("fleet-workerd")) {
  // `--agents 1000 --stored 10000 --rounds 5`: per live fleet size, stored and live status all
  // in interleaved rounds, then stored-only status all at each larger `--stored` size.
  const sizes = (values.agents ?? "1000").split(",").map(Number);
  const stored = (values.stored ?? "").split(",").filter(Boolean).map(Number);
  const rounds = Number(values.rounds ?? values.runs ?? 5);
  const fanoutGroup = values["fanout-group"] ? Number(values["fanout-group"]) : undefined;
  const results = [];
  const lines: string[] = [];
  for (const n of sizes) {
    results.push(
      await benchFleetWorkerd({ agents: n, procs, rounds, stored, log, ...(fanoutGroup ? { fanoutGroup } : {}) }),
    );
  }
  const ms = (n: number) => `${Math.round(n)} ms`;
  const mb = (kb: number) => `${round(kb / 1024, 1)} MB`;
  const mmm = (xs: number[]) => {
    const ok = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (ok.length === 0) return "–";
    const med =
      ok.length % 2
        ? (ok[(ok.length - 1) / 2] as number)
        : ((ok[ok.length / 2 - 1] as number) + (ok[ok.length / 2] as number)) / 2;
    return `${Math.round(ok[0] as number)} / ${Math.round(med)} / ${Math.round(ok[ok.length - 1] as number)} ms`;
  };
  lines.push(
    `Measured ${new Date().toISOString()} on ${machine}, ${results[0]?.runtime}.`,
    "",
    `Reproduce: \`npm run bench -- --only fleet-workerd --agents ${sizes.join(",")}${stored.length ? ` --stored ${stored.join(",")}` : ""} --rounds ${rounds} --procs ${procs}${fanoutGroup ? ` --fanout-group ${fanoutGroup}` : ""}\``,
    "",
  );
  for (const r of results) {
    const groups = new Map<string, typeof r.status>();
    for (const s of r.status.filter((x) => !x.afterIdle)) {
      const key = `${s.kind === "live" ? "`status all --live`" : "`status all` (stored state)"} | ${s.hosts.toLocaleString("en")}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    lines.push(
      `### \`/openclaw status all\` in workerd: ${r.agents} simulated agents live${stored.length ? `, ${stored.join(", ")} hosts from stored state` : ""}`,
      "",
      `wrangler.toml's Worker run by workerd (\`unstable_startWorker\`, local Durable Objects on SQLite, one HostAgent object per host) through bench/workerd/seed-entry.ts (the same Worker plus a bench-only route that writes hosts and watch states); Slack is the Web API stand-in. ${r.agents} hosts enrolled through \`POST /api/admin/enrollment-codes\` and \`POST /api/enroll\`, each with a stored watch state (made by the real WatchService from one quick probe, healthy or with the gateway down) in its \`WatchShard\`; the same simulated agents as the Node bench (${procs} child processes, 1 in 50 with its gateway down) dial \`/agent/connect?host=<name>\`. \`--live\` goes through the \`FanoutShard\` objects, ${r.fanoutGroup} hosts each. ${r.rounds} rounds of \`status all\` and \`status all --live\` (which goes first alternates), then one \`--live\` after ${HIBERNATION_WAIT_MS / 1000} s idle (every host's object hibernated), then for each larger size, hosts with a stored state and no agent written up to it and ${r.rounds} rounds of \`status all\`. Client: the really signed slash command to the fleet message's \`chat.postMessage\` at the stand-in; server: the Worker's own figure in the message (read in / answered in); CPU: the workerd process running the Worker and its objects over the same span. Figures are min / median / max. Deadline of the live fan-out: 2 s.`,
      "",
      "| command | hosts | client | server | workerd CPU | agents' CPU | machine busy | counts as expected |",
      "|---|---|---|---|---|---|---|---|",
      ...[...groups].map(([key, runs]) => {
        const good = runs.filter((x) => x.countsOk).length;
        const errs = runs.filter((x) => x.error).length;
        const busy = runs.map((x) => x.machineBusy).filter((x) => Number.isFinite(x));
        const busyText = busy.length
          ? `${Math.round(Math.min(...busy) * 100)}–${Math.round(Math.max(...busy) * 100)} %`
          : "–";
        return `| ${key} | ${mmm(runs.map((x) => x.wallMs))} | ${mmm(runs.map((x) => x.serverMs))} | ${mmm(runs.map((x) => x.workerdCpuMs))} | ${mmm(runs.map((x) => x.agentsCpuMs))} | ${busyText} | ${good} of ${runs.length}${errs ? ` (${errs} failed)` : ""} |`;
      }),
      "",
      "Every run:",
      "",
      "| command | hosts | round | ack | client | server | workerd CPU | agents' CPU | machine busy | message |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...r.status.map((s) => {
        const what = s.kind === "live" ? "`--live`" : "stored";
        const round_ = s.afterIdle ? "after idle" : String(s.round);
        if (s.error)
          return `| ${what} | ${s.hosts} | ${round_} | – | – | – | – | – | – | failed: ${s.error.split("\n")[0]} |`;
        return `| ${what} | ${s.hosts} | ${round_} | ${ms(s.ackMs)} | ${ms(s.wallMs)} | ${ms(s.serverMs)} | ${ms(s.workerdCpuMs)} | ${ms(s.agentsCpuMs)} | ${Math.round(s.machineBusy * 100)} % | ${s.summary}${s.countsOk ? "" : " **(counts not as expected)**"} |`;
      }),
      "",
      `Enrolling ${r.agents} hosts over HTTP: ${round(r.enrollS, 1)} s; first connect of all: ${round(r.firstConnectS, 1)} s; ${
        Object.entries(r.seedS)
          .map(([n, sec]) => `writing hosts and states up to ${n}: ${round(sec, 1)} s`)
          .join("; ") || "no stored-only sizes"
      }.`,
      `RSS of the workerd running the Worker: ${mb(r.rssKb.beforeConnect)} enrolled, no agent; ${mb(r.rssKb.connected)} with all connected (${round(r.rssKbPerAgent, 1)} KB per agent); ${mb(r.rssKb.afterRuns)} after the rounds; ${mb(r.rssKb.afterIdle)} after the idle wait. wrangler's dev proxy, a second workerd every socket passes through (not there on Cloudflare): ${mb(r.proxyRssKb.beforeConnect)} → ${mb(r.proxyRssKb.connected)}.`,
      `Slack stand-in violations: ${r.slackViolations.length}.`,
      "",
    );
  }
  writeReport("fleet-workerd", lines, { machine, fleetWorkerd: results });
}

if (only.has("fleet-ab")) {
  // `--agents 1000,5000,10000 --rounds 5 --runs 3 --baseline <checkout>`: this checkout's
  // `status all` fan-out against another checkout's, interleaved, one section per fleet size.
  if (!values.baseline)
    throw new Error("--only fleet-ab needs --baseline <root of another checkout, with node_modules>");
  const sizes = (values.agents ?? "1000").split(",").map(Number);
  const rounds = Number(values.rounds ?? 5);
  const runs = Number(values.runs ?? 3);
  const command = values.command ?? "status all";
  const lines = [
    `Measured ${new Date().toISOString()} on ${machine}.`,
    "",
    `Reproduce: \`npm run bench -- --only fleet-ab --agents ${sizes.join(",")} --procs ${procs} --rounds ${rounds} --runs ${runs} --baseline <checkout> --command "${command}"${values["baseline-command"] ? ` --baseline-command "${values["baseline-command"]}"` : ""}\``,
    "",
  ];
  const all: Record<number, FleetAbRun[]> = {};
  const mmm = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${Math.round(s[0] ?? Number.NaN)} / ${Math.round(percentile(s, 50))} / ${Math.round(s[s.length - 1] ?? Number.NaN)}`;
  };
  for (const n of sizes) {
    const r = await benchFleetAb({
      agents: n,
      procs,
      rounds,
      runs,
      baseline: values.baseline,
      command,
      ...(values["baseline-command"] ? { baselineCommand: values["baseline-command"] } : {}),
      log,
    });
    all[n] = r;
    lines.push(
      `### \`/openclaw ${command}\` over ${n} simulated agents: this checkout vs the baseline (Node)`,
      "",
      `Control plane in its own process (\`npm start\`), each checkout's in turn on the same port, data and ${n} agents (${procs} child processes, 1 in 50 with its gateway down); ${rounds} rounds, alternating which goes first, ${runs} commands per control plane per round. min / median / max over the ${rounds * runs} commands each.`,
      "",
      "| control plane | fan-out (server) ms | command → message (client) ms | CPU of the control plane ms | CPU per host µs | messages |",
      "|---|---|---|---|---|---|",
    );
    for (const v of ["baseline", "this checkout"]) {
      const xs = r.filter((x) => x.variant === v);
      const summaries = [...new Set(xs.map((x) => x.summary.replace(/^.*?: /, "")))];
      lines.push(
        `| ${v} | ${mmm(xs.map((x) => x.serverMs))} | ${mmm(xs.map((x) => x.wallMs))} | ${mmm(xs.map((x) => x.cpuMs))} | ${mmm(xs.map((x) => (x.cpuMs * 1000) / n))} | ${summaries.join("; ")} |`,
      );
    }
    // Ratio pair by pair: the i-th command of a round on each side.
    const ratios: number[] = [];
    const mine = r.filter((x) => x.variant === "this checkout");
    const base = r.filter((x) => x.variant === "baseline");
    mine.forEach((x, i) => {
      const b = base[i];
      if (b && b.serverMs > 0) ratios.push(x.serverMs / b.serverMs);
    });
    const rs = ratios.sort((a, b) => a - b);
    lines.push(
      "",
      `Fan-out, this checkout / baseline, pair by pair: ${round(rs[0] ?? Number.NaN, 2)} / ${round(percentile(rs, 50), 2)} / ${round(rs[rs.length - 1] ?? Number.NaN, 2)} (min / median / max).`,
      "",
    );
  }
  writeReport("fleet-ab", lines, { machine, fleetAb: all });
}
