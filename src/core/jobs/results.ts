import type { StepResult } from "../../contract/catalog.ts";

/**
 * A job's results: what streamed in while it ran, each step replaced by the job's own final
 * result where there is one (the final list wins; streamed ones fill in after a loss). One
 * result per step, in the order each step first arrived.
 */
export function mergeResults(streamed: readonly StepResult[], final: readonly StepResult[]): StepResult[] {
  const byStep = new Map<string, StepResult>();
  for (const r of streamed) byStep.set(r.step, r);
  for (const r of final) byStep.set(r.step, r);
  return [...byStep.values()];
}
