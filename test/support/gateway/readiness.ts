import { readdir, readFile, stat } from "node:fs/promises";
import { SLOW_STEPS, type StepRequest } from "../../../src/contract/catalog.ts";

/**
 * Waiting for a starting process to become ready, judged by progress rather than a fixed clock.
 *
 * A cold OpenClaw gateway takes 13–18 s to `/readyz` 200 on a quiet 2-core box, but 44 s and
 * more when five other engineers' test runs share those cores; a fixed 60 s deadline failed
 * there while the gateway was still loading plugins. So the wait goes on for as long as the
 * process is alive AND making progress (its log grows or its process group uses CPU), up to a
 * generous ceiling; it fails early only when the process exits or sits idle for `stallMs`.
 * A failure says what the process was doing: the last lines of its log.
 */
export type ReadinessOptions = {
  /** What is being waited for, for messages: "openclaw gateway on http://127.0.0.1:1234". */
  what: string;
  /** Resolves true once ready (e.g. `/readyz` answered 200). */
  ready: () => Promise<boolean>;
  /** The process group leader's pid (the group's CPU time is progress). */
  pid: number;
  /** Non-null once the process has exited: its exit code or signal. */
  exited: () => number | string | null;
  /** Log files whose growth is progress; the first one's tail goes into a failure. */
  logs: string[];
  /** Other output that counts as progress (e.g. the length of captured stdout). */
  output?: () => string;
  /** No log growth and no CPU time for this long while not ready: give up. */
  stallMs?: number;
  /** Never wait longer than this in total, progress or not. */
  ceilingMs?: number;
  pollMs?: number;
  /** When the wait began (defaults to now). */
  startedAt?: number;
};

/** Defaults: a stall of 90 s (a loaded box still gives a starting gateway some CPU every
 *  second) and a ceiling of 6 minutes; override with CLAWOPS_GATEWAY_STALL_MS and
 *  CLAWOPS_GATEWAY_READY_CEILING_MS. */
export const DEFAULT_STALL_MS = envMs("CLAWOPS_GATEWAY_STALL_MS", 90_000);
export const DEFAULT_READY_CEILING_MS = envMs("CLAWOPS_GATEWAY_READY_CEILING_MS", 360_000);
const LOG_LINES_ON_FAILURE = 25;

export class NotReadyError extends Error {
  readonly code = "NOT_READY";
}

export async function waitForReady(options: ReadinessOptions): Promise<{ ms: number }> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const ceilingMs = options.ceilingMs ?? DEFAULT_READY_CEILING_MS;
  const pollMs = options.pollMs ?? 250;
  const started = options.startedAt ?? Date.now();
  // Progress is read less often than readiness: a stall is judged over a window of 90 s, and
  // each reading scans every process on the machine for the group's CPU time.
  const markEveryMs = Math.min(1_000, stallMs / 4);
  let last = await progressMark(options);
  let lastProgressAt = Date.now();
  let lastMarkAt = lastProgressAt;
  for (;;) {
    const exit = options.exited();
    if (exit !== null) {
      throw await notReady(options, `exited (${exit}) before ready after ${secs(Date.now() - started)}`);
    }
    if (await options.ready()) return { ms: Date.now() - started };
    const now = Date.now();
    if (now - lastMarkAt >= markEveryMs) {
      const mark = await progressMark(options);
      if (mark.logBytes !== last.logBytes || mark.cpuTicks !== last.cpuTicks) lastProgressAt = now;
      last = mark;
      lastMarkAt = now;
    }
    if (now - lastProgressAt >= stallMs) {
      throw await notReady(
        options,
        `not ready after ${secs(now - started)}: no log output and no CPU time for ${secs(now - lastProgressAt)}`,
      );
    }
    if (now - started >= ceilingMs) {
      throw await notReady(options, `not ready within the ${secs(ceilingMs)} ceiling, though still making progress`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

type Mark = { logBytes: number; cpuTicks: number };

/** A failure's account of what the process was doing: captured output, else its log. */
async function lastOutput(options: ReadinessOptions): Promise<string> {
  if (options.output) return options.output().trimEnd().split("\n").slice(-LOG_LINES_ON_FAILURE).join("\n");
  return options.logs[0] ? lastLines(options.logs[0], LOG_LINES_ON_FAILURE) : "(no log)";
}

async function progressMark(options: ReadinessOptions): Promise<Mark> {
  let logBytes = 0;
  for (const path of options.logs) {
    logBytes += await stat(path).then(
      (s) => s.size,
      () => 0,
    );
  }
  logBytes += options.output?.().length ?? 0;
  return { logBytes, cpuTicks: await groupCpuTicks(options.pid) };
}

/**
 * utime + stime (clock ticks) of every process in the group `pgid`, from /proc; 0 elsewhere.
 * `reaped`: with the CPU of the children they have waited for (cutime + cstime) too.
 */
export async function groupCpuTicks(pgid: number, options: { reaped?: boolean } = {}): Promise<number> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // Fields after the command name, which may hold spaces and parentheses: state is field 3.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    if (Number(rest[2]) !== pgid) continue; // field 5: pgrp
    ticks += Number(rest[11]) + Number(rest[12]); // fields 14, 15: utime, stime
    if (options.reaped) ticks += Number(rest[13]) + Number(rest[14]); // fields 16, 17: cutime, cstime
  }
  return ticks;
}

async function notReady(options: ReadinessOptions, why: string): Promise<NotReadyError> {
  const source = options.output ? "output" : `log (${options.logs[0]})`;
  return new NotReadyError(`${options.what} ${why}; the last lines of its ${source}:\n${await lastOutput(options)}`);
}

export async function lastLines(path: string, count: number): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return text.trimEnd().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log yet)";
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * The job deadline a real-gateway test gives a full triage's steps. The product's own triage
 * answers after 33 s without what is still running (doctor --lint, SLOW_STEPS); these tests
 * assert every step's reading, and `openclaw doctor --lint` takes 8–30 s on a quiet 2-core box
 * and more beside other work, which is the box, not the gateway under test.
 */
export const LAB_TRIAGE_DEADLINE_MS = 90_000;

/**
 * A lab triage's steps with the slow CLI steps (`doctor --lint`, `gateway status`, `models
 * status`) given most of that deadline instead of their product budgets (30, 15 and 10 s): on
 * this 2-core box beside the other suites, `models status` passed 10 s and doctor 30 s (a clean
 * clone of 16ad712), which is the box, not the gateway these tests judge. What each step must
 * answer is asserted as before.
 */
export function labSteps(steps: readonly StepRequest[]): StepRequest[] {
  return steps.map((s) =>
    SLOW_STEPS.has(s.step) ? ({ ...s, args: { ...s.args, timeoutMs: LAB_SLOW_STEP_MS } } as StepRequest) : s,
  );
}

/** A slow CLI step's budget in a lab triage: inside LAB_TRIAGE_DEADLINE_MS, with room for the rest. */
export const LAB_SLOW_STEP_MS = 75_000;
