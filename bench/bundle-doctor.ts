/**
 * What a repro bundle costs right after a triage, against one collected with no doctor reading on
 * the host (docs/bundles.md): a real OpenClaw gateway from the lab cache, the real `bundle.collect`
 * probe in this process, R rounds of each, interleaved. "After a triage": the triage's doctor run
 * (through the agent's cache, as the `doctor.lint` step makes it) and then the bundle, which takes
 * doctor's output from that reading; "no reading": the cache emptied first, so the bundle runs
 * doctor itself beside `status --all` and `gateway status --json`. Per bundle: its wall time and the
 * CPU of the OpenClaw commands it ran (reaped children, from /proc/self/stat).
 *
 *   npx node bench/bundle-doctor.ts
 *   R=5 npx node bench/bundle-doctor.ts
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveProbeContext } from "../src/agent/probes/context.ts";
import { doctorCache, doctorCacheKey } from "../src/agent/probes/doctor-cache.ts";
import { runDoctorLint } from "../src/agent/probes/doctor-lint.ts";
import { JobReadings } from "../src/agent/probes/job-readings.ts";
import { readOpenclawConfig } from "../src/agent/probes/openclaw-config.ts";
import { runSteps } from "../src/agent/probes/run-steps.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";
import { percentile } from "./stats.ts";

const R = Number(process.env.R ?? 3);
/** Linux's USER_HZ: /proc's clock ticks per second. */
const TICKS = 100;

/** CPU seconds of this process's reaped children (cutime + cstime). */
function childCpu(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

const gw = await RealGateway.create(await ensureOpenclaw());
try {
  await gw.start();
  const d = gw.describe();
  const ctx = resolveProbeContext(
    { ...d.env, CLAWOPS_OPENCLAW_BIN: d.openclawBin },
    { agentVersion: "0.0.0-bench", serviceUnitDirs: [join(d.env.HOME ?? "", ".config/systemd/user")] },
  );
  const bundle = async (): Promise<{ ms: number; cpu: number; from: string }> => {
    const cpu = childCpu();
    const started = performance.now();
    const [result] = await runSteps(ctx, [{ step: "bundle.collect", args: {} }], { deadlineMs: 30_000 });
    const ms = performance.now() - started;
    const data = result?.step === "bundle.collect" ? result.data : undefined;
    const header = data?.files.find((f) => f.name === "cli/doctor-lint.json")?.content.split("\n")[1] ?? "(none)";
    return { ms, cpu: childCpu() - cpu, from: header };
  };
  const cells = {
    "after a triage": [] as { ms: number; cpu: number }[],
    "no reading": [] as { ms: number; cpu: number }[],
  };
  // One round first, not counted: on a fresh lab the bundle's first `status --all` makes
  // `plugin-skills/` in the state folder, which changes the doctor cache's key once (listed on
  // 2026-11-28; the lab makes the `media/` folders any first CLI command makes itself); a
  // gateway in use has both.
  for (let i = -1; i < R; i++) {
    const key = await doctorCacheKey(ctx, await readOpenclawConfig(ctx.configPath, ctx.env));
    await doctorCache.refresh(ctx, key, (c) => runDoctorLint(c, new JobReadings(c), 30_000), "the bench");
    const after = await bundle();
    doctorCache.invalidate(ctx);
    const cold = await bundle();
    if (i >= 0) {
      cells["after a triage"].push(after);
      cells["no reading"].push(cold);
    }
    console.error(
      `${i < 0 ? "warm-up" : `round ${i + 1}`}: after a triage ${after.ms.toFixed(0)} ms (${after.from}); no reading ${cold.ms.toFixed(0)} ms (${cold.from})`,
    );
  }
  for (const [name, runs] of Object.entries(cells)) {
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    const cpu = runs.map((r) => r.cpu).sort((a, b) => a - b);
    console.log(
      `${name}: bundle.collect ${percentile(ms, 50).toFixed(0)} ms median (${ms[0]?.toFixed(0)}-${ms.at(-1)?.toFixed(0)}), ` +
        `its OpenClaw commands' CPU ${percentile(cpu, 50).toFixed(1)} s median (${cpu[0]?.toFixed(1)}-${cpu.at(-1)?.toFixed(1)}), ${R} rounds`,
    );
  }
} finally {
  await gw.dispose().catch(() => {});
}
