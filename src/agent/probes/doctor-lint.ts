import { DEFAULT_STEP_DEADLINE_MS, type DoctorLintData, SLOW_STEPS } from "../../contract/catalog.ts";
import type { ProbeContext } from "./context.ts";
import {
  type DoctorRun,
  doctorCache,
  doctorCacheKey,
  REFRESH_AFTER_TRIAGE_MIN_AGE_MS,
  startDoctorRefresher,
} from "./doctor-cache.ts";
import { loadDoctorCacheEntries, saveDoctorCacheEntries } from "./doctor-cache-file.ts";
import { ProbeError } from "./errors.ts";
import { execCommand } from "./exec.ts";
import { parseJsonOutput } from "./gateway-status.ts";
import { JobReadings } from "./job-readings.ts";
import { readOpenclawConfig } from "./openclaw-config.ts";
import type { Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

const STDERR_TAIL_CHARS = 1_000;
const MAX_FINDINGS = 40;
const MAX_TEXT = 400;

/**
 * `openclaw doctor --lint --json`: the CLI's own static checks (4.6–9.7 s: issue 17), answered
 * from the agent's cache when nothing doctor reads has changed (doctor-cache.ts), so a triage's
 * answer does not wait for it. A result from the cache says how old it is, and doctor is rerun
 * in the background once the job is over (unless the result is under a minute old). With no
 * cached result for the current key: in the agent's `run`, which keeps the cache warm itself
 * (`doctorInBackground`), the step answers at once that a reading is being taken and starts one
 * if none is under way, so a triage never waits for doctor; unless the job runs another slow CLI
 * step (the recovery runbook's snapshot: `gateway status`, `models status`), which takes seconds
 * anyway and whose doctor step needs doctor's verdict on the config as it is now. In `probe` and
 * `oneshot` it waits for doctor (joining a run already under way).
 *
 * Exit 1 is normal whenever there is any finding: a healthy gateway has two warnings
 * (loopback-only node onboarding, plaintext token), so the exit code says nothing here.
 */
export const probeDoctorLint: Probe<"doctor.lint"> = async (ctx, args, run) => {
  const key = await doctorCacheKey(ctx, await run.readings.config());
  const cached = doctorCache.get(ctx, key);
  if (cached) {
    const ageMs = doctorCache.ageMs(cached);
    if (ageMs >= (ctx.doctorRefreshAfterMs ?? REFRESH_AFTER_TRIAGE_MIN_AGE_MS)) {
      const why = `a triage was answered from a reading ${Math.round(ageMs / 1000)} s old`;
      run.afterJob?.(() => void doctorCache.refresh(ctx, key, runDoctorInBackground, why).catch(() => undefined));
    }
    return { ...cached.data, cache: { source: "cache", ageMs } };
  }
  const slowAnyway = (run.jobSteps ?? []).some((s) => s !== "doctor.lint" && SLOW_STEPS.has(s));
  if (ctx.doctorInBackground && !slowAnyway) {
    const startedAt = doctorCache.refreshStartedAt(ctx) ?? Date.now();
    void doctorCache
      .refresh(ctx, key, runDoctorInBackground, "a triage found no reading for the config")
      .catch(() => undefined);
    const since = Math.max(0, Math.round((Date.now() - startedAt) / 1000));
    // Short: the config cell quotes it (the agent just started, or what doctor reads changed).
    throw new ProbeError("doctor_pending", `a new reading is being taken on the host (started ${since} s ago; 5-10 s)`);
  }
  const reason = doctorCache.refreshing(ctx) ? "a refresh was under way" : "no result for the current key";
  // The run is shared with the cache: when this step's deadline passes, run-steps answers
  // `timeout` and the run goes on to fill the cache for the next triage. A run this step starts
  // gets the step's own deadline when the job set one (`timeoutMs`), as every other CLI step does.
  const data = await doctorCache.refresh(ctx, key, doctorRun(args.timeoutMs), `a job waits for it (${reason})`);
  return { ...data, cache: { source: "run", ageMs: 0, reason } };
};

/** One doctor run for the cache, under the given deadline (the step's default), on its own (no job's signal). */
const doctorRun =
  (timeoutMs = DEFAULT_STEP_DEADLINE_MS["doctor.lint"]) =>
  (ctx: ProbeContext) =>
    runDoctorLint(ctx, new JobReadings(ctx), timeoutMs);
const runDoctorInBackground = doctorRun();

/**
 * The agent's background refresher (agent `run`): puts back the results kept in the state folder,
 * then keeps the doctor cache warm (at start, on a config change, every minute), keeping each new
 * result in the state folder.
 */
export function startDoctorCacheRefresher(
  ctx: ProbeContext,
  onError: (err: unknown) => void,
  afterRun?: () => void,
  onRunStarted?: (why: string) => void,
): () => void {
  doctorCache.restore(ctx, loadDoctorCacheEntries(ctx));
  doctorCache.onRunStarted = onRunStarted && ((_c, why) => onRunStarted(why));
  doctorCache.onStored = (c, entries) => {
    try {
      saveDoctorCacheEntries(c, entries);
    } catch (err) {
      onError(err);
    }
  };
  // The key needs the file alone (its workspace), not a job's reading of it (which also finds the
  // port its running gateway holds: a scan of every process and the socket tables, once a minute).
  const stop = startDoctorRefresher(ctx, () => readOpenclawConfig(ctx.configPath, ctx.env), runDoctorInBackground, {
    onError,
    ...(afterRun ? { afterRun } : {}),
  });
  return () => {
    stop();
    doctorCache.onStored = undefined;
    doctorCache.onRunStarted = undefined;
  };
}

/**
 * Runs `openclaw doctor --lint --json` once and summarises it, with what it printed (the repro
 * bundle's copy); never throws but for a missing CLI.
 */
export async function runDoctorLint(
  ctx: ProbeContext,
  readings: JobReadings,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DoctorRun> {
  const secrets = await readings.knownSecrets();
  const res = await execCommand(ctx.openclawBin, ["doctor", "--lint", "--json"], {
    env: { ...ctx.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeoutMs,
    ...(signal ? { signal } : {}),
    maxOutputBytes: 512 * 1024,
  });
  if (res.spawnError) {
    throw new ProbeError("cli_unavailable", `cannot run ${ctx.openclawBin}: ${res.spawnError.message}`);
  }
  const data: DoctorLintData = { exitCode: res.exitCode, timedOut: res.timedOut };
  const stderr = res.stderr.trim();
  if (stderr) data.stderrTail = redactText(stderr.slice(-STDERR_TAIL_CHARS), secrets);
  if (res.timedOut || res.aborted) return { data, output: res };
  return { data: { ...data, ...summarizeDoctorLint(res.stdout, secrets) }, output: res };
}

/** The fields of the lint document the classifier reads, or a parse note; never throws. */
export function summarizeDoctorLint(
  stdout: string,
  secrets: readonly string[] = [],
): Pick<DoctorLintData, "parseError" | "schemaVersion" | "ok" | "checksRun" | "findings"> {
  const parsed = parseJsonOutput(stdout);
  if (!parsed.ok) return { parseError: parsed.error };
  const root = record(parsed.value);
  if (!Array.isArray(root.findings)) {
    return { parseError: `no findings array in the lint document (keys: ${Object.keys(root).slice(0, 8).join(", ")})` };
  }
  const out: ReturnType<typeof summarizeDoctorLint> = {};
  if (typeof root.schemaVersion === "number") out.schemaVersion = root.schemaVersion;
  if (typeof root.ok === "boolean") out.ok = root.ok;
  if (typeof root.checksRun === "number") out.checksRun = root.checksRun;
  const findings: NonNullable<DoctorLintData["findings"]> = [];
  let unreadable = 0;
  for (const raw of root.findings.slice(0, MAX_FINDINGS)) {
    const f = record(raw);
    if (typeof f.checkId !== "string" || typeof f.severity !== "string") {
      unreadable += 1;
      continue;
    }
    findings.push({
      checkId: cut(f.checkId),
      severity: f.severity,
      message: redactText(cut(typeof f.message === "string" ? f.message : ""), secrets),
      ...(typeof f.path === "string" ? { path: redactText(cut(f.path), secrets) } : {}),
    });
  }
  out.findings = findings;
  if (unreadable > 0) out.parseError = `${unreadable} finding(s) without checkId/severity were skipped`;
  return out;
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
