/**
 * Where the watch's quick probe spends its CPU: each of its steps run alone, then all together
 * (as the watch runs them: one job, readings shared), N times, in a process with the agent's V8
 * flags, against a real gateway, from the sources; the host readings the steps share, alone; and
 * what a job does with its results (redaction, validation, the watch's hash), on one job's.
 * A diagnostic for docs/benchmarks.md "The watch's CPU per probe", not a budget (that is
 * `npm run bench -- --only watch`, the built agent as the service runs it).
 *
 *   npx node bench/watch-steps.ts
 *   N=20 GAP=1000 ONLY="(no step),all" EXTRA="--cpu-prof --cpu-prof-dir=/tmp/prof" npx node bench/watch-steps.ts
 *   WRAP="strace -f -c -o /tmp/strace.txt" ONLY=all npx node bench/watch-steps.ts
 *
 *   VARIANTS="|--sparkplug|--max-semi-space-size=2" ROUNDS=3 ONLY=all GAP=1000 npx node bench/watch-steps.ts
 *
 * N runs per row (30), GAP ms between runs (50; the watch's 1 s lets V8 collect between probes),
 * ONLY the rows named, EXTRA more Node flags, WRAP a command the child runs under. VARIANTS: sets
 * of further flags separated by `|` (an empty set: the agent's flags alone), each run in its own
 * child against the same gateway, interleaved ROUNDS times (1), each row with the child's peak
 * resident memory.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV } from "../scripts/build-agent.ts";
import { resolveProbeContext } from "../src/agent/probes/context.ts";
import { findGatewayProcesses } from "../src/agent/probes/host/gateway-processes.ts";
import { readTcpListeners } from "../src/agent/probes/host/port-owners.ts";
import { isGatewayProcess, openFiles, ProcessScan } from "../src/agent/probes/host/proc-processes.ts";
import { JobReadings } from "../src/agent/probes/job-readings.ts";
import { readOpenclawConfig } from "../src/agent/probes/openclaw-config.ts";
import { ReadingsCarry } from "../src/agent/probes/readings-carry.ts";
import { redactDeep } from "../src/agent/probes/redact.ts";
import { redactDeepWithRuleSet } from "../src/agent/probes/redact-rule-set.ts";
import { runSteps } from "../src/agent/probes/run-steps.ts";
import { type StepRequest, StepResult, WATCH_STORAGE_STEPS } from "../src/contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps, watchComparable } from "../src/contract/watch.ts";

const N = Number(process.env.N ?? 30);
const GAP_MS = Number(process.env.GAP ?? 50);
const ONLY = process.env.ONLY?.split(",");

/** CPU per call of `run`, over N calls GAP_MS apart after 3 to warm up; the last call's answer. */
async function cpuPerCall<T>(run: () => Promise<T>): Promise<{ ms: number; userMs: number; sysMs: number; last: T }> {
  for (let i = 0; i < 3; i++) await run();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    await run();
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  const c = process.cpuUsage(c0);
  const last = await run();
  return { ms: (c.user + c.system) / 1000 / N, userMs: c.user / 1000 / N, sysMs: c.system / 1000 / N, last };
}

if (process.argv[2] === "--child") {
  const ctx = resolveProbeContext(process.env, { agentVersion: "bench" });
  const gateway = (await findGatewayProcesses("/proc", process.env)).processes[0]?.pid ?? 0;
  console.log("gateway pid", gateway, "descriptors", (await openFiles("/proc", gateway)).length);
  // The host readings the steps share, each alone.
  const readings: [string, () => Promise<unknown>][] = [
    ["scan (fresh)", () => new ProcessScan("/proc", isGatewayProcess).list()],
    ["findGatewayProcs", () => findGatewayProcesses("/proc", process.env)],
    ["openFiles(gw)", () => openFiles("/proc", gateway)],
    ["tcpListeners", async () => readTcpListeners("/proc")],
    ["readings.config", () => new JobReadings(ctx).config()],
    ["readings.facts", () => new JobReadings(ctx).gatewayFacts()],
    ["readings.secrets", () => new JobReadings(ctx).knownSecrets()],
    ["config file", () => readOpenclawConfig(ctx.configPath, ctx.env)],
  ];
  // The quick probe's steps: none (the job's own readings), each alone, all together.
  const all = [...quickProbeSteps(QUICK_PROBE_DEADLINE_MS), ...WATCH_STORAGE_STEPS] as StepRequest[];
  const jobs: [string, StepRequest[]][] = [
    ["(no step)", []],
    ...all.map((s): [string, StepRequest[]] => [s.step, [s]]),
    ["all", all],
  ];
  // What a job does with its results once the steps are done, on one job's results: redaction
  // (the agent's patterns and known secrets, then secretlint's rules), validation, the watch's hash.
  const results = await runSteps(ctx, all, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
  const secrets = await new JobReadings(ctx).knownSecrets();
  const afterSteps: [string, () => Promise<unknown>][] = [
    ["results: redact", async () => results.map((r) => redactDeep(r, secrets))],
    ["results: rules", () => Promise.all(results.map((r) => redactDeepWithRuleSet(r)))],
    ["results: validate", async () => results.map((r) => StepResult.safeParse(r))],
    ["results: hash", async () => createHash("sha256").update(watchComparable(results)).digest("hex")],
  ];
  const rows: [string, () => Promise<string>][] = [
    ...[...readings, ...afterSteps].map(([name, read]): [string, () => Promise<string>] => [
      name,
      async () => {
        await read();
        return "";
      },
    ]),
    // As the watch runs them: the host readings carried between jobs while its checks hold.
    (() => {
      const carry = new ReadingsCarry();
      return [
        "all carried",
        async () =>
          `${(await runSteps(ctx, all, { deadlineMs: QUICK_PROBE_DEADLINE_MS, carry })).map((r) => r.status).join(",")} (${carry.counts.carried} carried, ${carry.counts.full} full)`,
      ] as [string, () => Promise<string>];
    })(),
    ...jobs.map(([name, steps]): [string, () => Promise<string>] => [
      name,
      async () => (await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS })).map((r) => r.status).join(","),
    ]),
  ];
  for (const [name, run] of rows) {
    if (ONLY && !ONLY.includes(name)) continue;
    const cpu = await cpuPerCall(run);
    const peakMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `${(process.env.VARIANT ?? "").padEnd(28)} ${name.padEnd(16)} ${cpu.ms.toFixed(1)} ms (user ${cpu.userMs.toFixed(1)}, sys ${cpu.sysMs.toFixed(1)}) peak ${peakMb.toFixed(1)} MB ${cpu.last}`,
    );
  }
} else {
  const { RealGateway } = await import("../test/support/gateway/gateway.ts");
  const { ensureOpenclaw } = await import("../test/support/gateway/install.ts");
  const install = await ensureOpenclaw();
  const gw = await RealGateway.create(install);
  const runChild = (variant: string) =>
    new Promise<void>((resolve) => {
      const wrap = process.env.WRAP ? process.env.WRAP.split(" ") : [];
      const c = spawn(
        wrap[0] ?? process.execPath,
        [
          ...wrap.slice(1),
          ...(wrap.length ? [process.execPath] : []),
          ...AGENT_NODE_FLAGS,
          ...`${process.env.EXTRA ?? ""} ${variant}`.split(" ").filter(Boolean),
          fileURLToPath(import.meta.url),
          "--child",
        ],
        {
          env: {
            ...process.env,
            ...gw.processEnv(),
            ...AGENT_SERVICE_ENV,
            CLAWOPS_OPENCLAW_BIN: install.openclawBin,
            VARIANT: variant || "(agent flags)",
          },
          stdio: "inherit",
        },
      );
      c.on("exit", () => resolve());
    });
  try {
    await gw.start();
    const variants = process.env.VARIANTS?.split("|") ?? [""];
    const rounds = Number(process.env.ROUNDS ?? 1);
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) await runChild(variant);
    }
  } finally {
    await gw.dispose().catch(() => {});
  }
}
