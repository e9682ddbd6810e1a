/**
 * Where the watch's quick probe spends its CPU: each of its steps run alone, then all together
 * (as the watch runs them: one job, readings shared), N times, in a process with the agent's V8
 * flags, against a real gateway, from the sources; and the host readings the steps share, alone.
 * A diagnostic for docs/benchmarks.md "The watch's CPU per probe", not a budget (that is
 * `npm run bench -- --only watch`, the built agent as the service runs it).
 *
 *   npx node bench/watch-steps.ts
 *   N=20 GAP=1000 ONLY="(no step),all" EXTRA="--cpu-prof --cpu-prof-dir=/tmp/prof" npx node bench/watch-steps.ts
 *   WRAP="strace -f -c -o /tmp/strace.txt" ONLY=all npx node bench/watch-steps.ts
 *
 * N runs per row (30), GAP ms between runs (50; the watch's 1 s lets V8 collect between probes),
 * ONLY the rows named, EXTRA more Node flags, WRAP a command the child runs under.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV } from "../scripts/build-agent.ts";
import { resolveProbeContext } from "../src/agent/probes/context.ts";
import { runSteps } from "../src/agent/probes/run-steps.ts";
import { WATCH_STORAGE_STEPS } from "../src/contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps } from "../src/contract/watch.ts";

const N = Number(process.env.N ?? 30);
if (process.argv[2] === "--child") {
  const ctx = resolveProbeContext(process.env, { agentVersion: "bench" });
  const all = [...quickProbeSteps(QUICK_PROBE_DEADLINE_MS), ...WATCH_STORAGE_STEPS] as never[];
  const sets: [string, never[]][] = [
    ["(no step)", []],
    ...all.map((s) => [(s as { step: string }).step, [s]] as [string, never[]]),
    ["all", all],
  ];
  const only = process.env.ONLY;
  const pp = await import("../src/agent/probes/host/proc-processes.ts");
  const gp = await import("../src/agent/probes/host/gateway-processes.ts");
  const po = await import("../src/agent/probes/host/port-owners.ts");
  const { JobReadings } = await import("../src/agent/probes/job-readings.ts");
  const gw = (await gp.findGatewayProcesses("/proc", process.env)).processes[0]?.pid ?? 0;
  console.log("gateway pid", gw, "fds", (await pp.openFiles("/proc", gw)).length);
  const parts: [string, () => Promise<unknown>][] = [
    ["listProcesses", () => new pp.ProcessScan("/proc", pp.isGatewayProcess).list()],
    ["findGatewayProcs", () => gp.findGatewayProcesses("/proc", process.env)],
    ["openFiles(gw)", () => pp.openFiles("/proc", gw)],
    ["tcpListeners", async () => po.readTcpListeners("/proc")],
    ["readings.config", () => new JobReadings(ctx).config()],
    ["readings.facts", () => new JobReadings(ctx).gatewayFacts()],
    ["readings.secrets", () => new JobReadings(ctx).knownSecrets()],
  ];
  for (const [name, fn] of parts) {
    if (only && !only.split(",").includes(name)) continue;
    for (let i = 0; i < 3; i++) await fn();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      await fn();
      await new Promise((r) => setTimeout(r, Number(process.env.GAP ?? 50)));
    }
    const c = process.cpuUsage(c0);
    console.log(
      `${name.padEnd(16)} ${((c.user + c.system) / 1000 / N).toFixed(2)} ms (user ${(c.user / 1000 / N).toFixed(2)}, sys ${(c.system / 1000 / N).toFixed(2)})`,
    );
  }
  for (const [name, steps] of sets) {
    if (only && !only.split(",").includes(name)) continue;
    for (let i = 0; i < 3; i++) await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
      await new Promise((r) => setTimeout(r, Number(process.env.GAP ?? 50)));
    }
    const c = process.cpuUsage(c0);
    const r = await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
    console.log(
      `${name.padEnd(16)} ${((c.user + c.system) / 1000 / N).toFixed(1)} ms/job (user ${(c.user / 1000 / N).toFixed(1)}, sys ${(c.system / 1000 / N).toFixed(1)}) ${r.map((x) => x.status).join(",")}`,
    );
  }
} else {
  const { RealGateway } = await import("../test/support/gateway/gateway.ts");
  const { ensureOpenclaw } = await import("../test/support/gateway/install.ts");
  const install = await ensureOpenclaw();
  const gw = await RealGateway.create(install);
  try {
    await gw.start();
    await new Promise<void>((resolve) => {
      const wrap = process.env.WRAP ? process.env.WRAP.split(" ") : [];
      const c = spawn(
        wrap[0] ?? process.execPath,
        [
          ...wrap.slice(1),
          ...(wrap.length ? [process.execPath] : []),
          ...AGENT_NODE_FLAGS,
          ...(process.env.EXTRA ?? "").split(" ").filter(Boolean),
          fileURLToPath(import.meta.url),
          "--child",
        ],
        {
          env: { ...process.env, ...gw.processEnv(), ...AGENT_SERVICE_ENV, CLAWOPS_OPENCLAW_BIN: install.openclawBin },
          stdio: "inherit",
        },
      );
      c.on("exit", () => resolve());
    });
  } finally {
    await gw.stop().catch(() => {});
  }
}
