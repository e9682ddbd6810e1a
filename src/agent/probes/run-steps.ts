import {
  DEFAULT_STEP_DEADLINE_MS,
  type StepArgsOf,
  type StepName,
  type StepRequest,
  StepResult,
  type StepStatus,
} from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { firstIssue } from "../../contract/issues.ts";
import { monotonicMs } from "../monotonic.ts";
import { CATALOG_PROBES } from "./catalog-probes.ts";
import type { ProbeContext } from "./context.ts";
import { isProbeError, type ProbeErrorCode } from "./errors.ts";
import { JobReadings } from "./job-readings.ts";
import type { Probe, ProbeRun, ProbeTable } from "./probe.ts";
import type { ReadingsCarry } from "./readings-carry.ts";
import { redactDeep } from "./redact.ts";
import { redactDeepWithRuleSet } from "./redact-rule-set.ts";

export type RunStepsOptions = {
  /** Wall-clock budget for the whole job, ms (`job.run` deadlineMs). */
  deadlineMs: number;
  /** Called once per step, as each finishes, with the redacted, validated result. */
  onResult?: (result: StepResult) => void | Promise<void>;
  /** Cancels every step still running (agent shutdown, hub connection lost). */
  signal?: AbortSignal;
  /** Monotonic clock for durations and deadlines; injectable for tests. */
  clock?: Clock;
  /** Probe implementations; tests swap in fakes. */
  probes?: Partial<ProbeTable>;
  /**
   * The watch's carry: the host readings of its last full read, used while its checks hold, and
   * this job's kept when they were read in full (readings-carry.ts).
   */
  carry?: ReadingsCarry;
};

/** Where elapsed time comes from; tests pass a fake. */
interface Clock {
  now(): number;
}

const monotonic: Clock = { now: monotonicMs };

/**
 * How long redaction waits for the full token reads (/proc, service units) before it settles
 * for the config and env tokens. Patterns still apply either way.
 */
const SECRETS_WAIT_MS = 2_000;

/**
 * Runs the requested steps concurrently. Every step yields exactly one result: `ok` with data,
 * `timeout` when its own deadline or the job's passed, `error` with a stable code when the
 * probe threw. Results are redacted with every secret the agent read, then validated against
 * the catalog schema, before `onResult` sees them.
 */
export async function runSteps(
  ctx: ProbeContext,
  steps: StepRequest[],
  options: RunStepsOptions,
): Promise<StepResult[]> {
  const clock = options.clock ?? monotonic;
  const jobStart = clock.now();
  const jobDeadline = jobStart + options.deadlineMs;
  const readings = options.carry ? await options.carry.readings(ctx) : new JobReadings(ctx);
  const secrets = withTimeout(readings.knownSecrets(), SECRETS_WAIT_MS, null).then(
    (all) => all ?? withTimeout(readings.basicSecrets(), SECRETS_WAIT_MS, readings.envSecrets()),
  );
  let delivery = Promise.resolve();
  const afterJob: (() => void)[] = [];
  const jobSteps = steps.map((s) => s.step);

  const runOne = async (request: StepRequest): Promise<StepResult> => {
    const started = clock.now();
    const raw = await executeStep(ctx, request, {
      readings,
      clock,
      started,
      deadline: Math.min(started + stepDeadlineMs(request), jobDeadline),
      ...(options.signal ? { jobSignal: options.signal } : {}),
      probes: options.probes ?? {},
      afterJob: (task) => afterJob.push(task),
      jobSteps,
    });
    // The rule set (secretlint's recommended rules) first, on the text as the probe saw it.
    const result = finalize(await redactDeepWithRuleSet(raw), await secrets);
    // Serialise deliveries so a slow consumer never sees two results at once, in finish order.
    delivery = delivery.then(() => options.onResult?.(result)).catch(() => {});
    await delivery;
    return result;
  };

  const results = await Promise.all(steps.map(runOne));
  await options.carry?.keep(readings);
  for (const task of afterJob.splice(0)) {
    try {
      task();
    } catch {
      // Background work never fails the job that asked for it.
    }
  }
  return results;
}

export function stepDeadlineMs(request: StepRequest): number {
  const timeoutMs = "timeoutMs" in request.args ? request.args.timeoutMs : undefined;
  return timeoutMs ?? DEFAULT_STEP_DEADLINE_MS[request.step];
}

type StepRun = {
  readings: JobReadings;
  clock: Clock;
  started: number;
  deadline: number;
  jobSignal?: AbortSignal;
  probes: Partial<ProbeTable>;
  afterJob: (task: () => void) => void;
  jobSteps: readonly StepName[];
};

type RawResult = {
  step: StepName;
  status: StepStatus;
  durationMs: number;
  data?: unknown;
  error?: { code: ProbeErrorCode; message: string };
};

async function executeStep(ctx: ProbeContext, request: StepRequest, run: StepRun): Promise<RawResult> {
  const step = request.step;
  const controller = new AbortController();
  const budgetMs = Math.max(0, run.deadline - run.started);
  const duration = () => Math.round(run.clock.now() - run.started);

  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<"timeout" | "aborted">((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error("step deadline"));
      resolve("timeout");
    }, budgetMs);
    const onJobAbort = () => {
      controller.abort(new Error("job cancelled"));
      resolve("aborted");
    };
    if (run.jobSignal?.aborted) onJobAbort();
    else run.jobSignal?.addEventListener("abort", onJobAbort, { once: true });
  });

  const probeRun: ProbeRun = {
    signal: controller.signal,
    remainingMs: () => run.deadline - run.clock.now(),
    readings: run.readings,
    afterJob: run.afterJob,
    jobSteps: run.jobSteps,
  };
  try {
    const probe = pickProbe(step, run.probes);
    const outcome = await Promise.race([
      probe(ctx, request.args as StepArgsOf<typeof step>, probeRun).then((data) => ({ data })),
      stopped,
    ]);
    if (outcome === "timeout") {
      return {
        step,
        status: "timeout",
        durationMs: duration(),
        error: { code: "probe_timeout", message: `${step} did not finish within ${budgetMs} ms` },
      };
    }
    if (outcome === "aborted") {
      return {
        step,
        status: "error",
        durationMs: duration(),
        error: { code: "probe_aborted", message: `${step} was cancelled` },
      };
    }
    return { step, status: "ok", durationMs: duration(), data: outcome.data };
  } catch (err) {
    return {
      step,
      status: "error",
      durationMs: duration(),
      error: { code: isProbeError(err) ? err.code : "probe_failed", message: errorMessage(err).slice(0, 1_000) },
    };
  } finally {
    clearTimeout(timer);
    // Whatever the probe still holds open (a socket, a child) is told to let go.
    controller.abort(new Error("step finished"));
  }
}

function pickProbe<N extends StepName>(step: N, overrides: Partial<ProbeTable>): Probe<N> {
  const probe = (overrides[step] ?? CATALOG_PROBES[step]) as Probe<N>;
  return probe;
}

/** Redact, then validate. A result that fails the schema is replaced, never sent malformed. */
function finalize(raw: RawResult, secrets: readonly string[]): StepResult {
  const redacted = redactDeep(raw, secrets);
  const parsed = StepResult.safeParse(redacted);
  if (parsed.success) return parsed.data;
  const { where, message } = firstIssue(parsed.error.issues);
  return {
    step: raw.step,
    status: "error",
    durationMs: raw.durationMs,
    error: { code: "invalid_result", message: `agent produced malformed ${raw.step} data${where}: ${message}` },
  } as StepResult;
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
