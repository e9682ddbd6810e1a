import type { RunbookContext, StepHandle } from "./context.ts";

/**
 * How a runbook step ends: `next`, or failed — its line shows `fail` with `detail` and the run
 * stops, saying `why` in the thread.
 */
export type StepEnd = "next" | { fail: string; why: string };

/** One step of the runbook: it shows its own progress through `at` and its side effects go through `ctx`. */
export type RunbookStep = (ctx: RunbookContext, at: StepHandle) => Promise<StepEnd>;
