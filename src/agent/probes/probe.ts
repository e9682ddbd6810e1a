import type { z } from "zod";
import type { StepArgs, StepName, StepResultOf } from "../../contract/catalog.ts";
import type { ProbeContext } from "./context.ts";
import type { JobReadings } from "./job-readings.ts";

export type StepArgsOf<N extends StepName> = z.infer<(typeof StepArgs)[N]>;
export type StepDataOf<N extends StepName> = NonNullable<StepResultOf<N>["data"]>;

/** What a running probe gets besides the host context: its deadline and the job's shared reads. */
export type ProbeRun = {
  /** Aborts at the step's deadline (or the job's, whichever is first). */
  signal: AbortSignal;
  /** Milliseconds left before the step's deadline. Probes that can report a partial answer
   *  (a `timeout` outcome with what they saw) plan their own timeouts inside this. */
  remainingMs(): number;
  readings: JobReadings;
};

/** One catalog step: read-only, never throws for a finding (a refused port is data). */
export type Probe<N extends StepName> = (
  ctx: ProbeContext,
  args: StepArgsOf<N>,
  run: ProbeRun,
) => Promise<StepDataOf<N>>;

/** Leave this much of a step's budget to package and send the result. */
export const RESULT_MARGIN_MS = 150;

export function budget(run: ProbeRun, wantedMs: number): number {
  return Math.max(50, Math.min(wantedMs, run.remainingMs() - RESULT_MARGIN_MS));
}
