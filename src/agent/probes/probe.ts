import type { StepArgsOf, StepDataOf, StepName } from "../../contract/catalog.ts";
import type { ProbeContext } from "./context.ts";
import type { JobReadings } from "./job-readings.ts";

/** What a running probe gets besides the host context: its deadline and the job's shared reads. */
export type ProbeRun = {
  /** Aborts at the step's deadline (or the job's, whichever is first). */
  signal: AbortSignal;
  /** Milliseconds left before the step's deadline. Probes that can report a partial answer
   *  (a `timeout` outcome with what they saw) plan their own timeouts inside this. */
  remainingMs(): number;
  readings: JobReadings;
  /** Runs `task` once every step of the job has answered (background work that must not slow the job). */
  afterJob?: (task: () => void) => void;
  /** Every step the job asked for (this one included). */
  jobSteps?: readonly StepName[];
};

/** One catalog step: read-only, never throws for a finding (a refused port is data). */
export type Probe<N extends StepName> = (
  ctx: ProbeContext,
  args: StepArgsOf<N>,
  run: ProbeRun,
) => Promise<StepDataOf<N>>;

/** A probe for every catalog step, keyed by its name: a step without one does not compile. */
export type ProbeTable = { [N in StepName]: Probe<N> };

/** Leave this much of a step's budget to package and send the result. */
export const RESULT_MARGIN_MS = 150;

export function budget(run: ProbeRun, wantedMs: number): number {
  return Math.max(50, Math.min(wantedMs, run.remainingMs() - RESULT_MARGIN_MS));
}
