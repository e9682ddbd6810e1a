import { errorMessage } from "../../../contract/errors.ts";
import { clip, escapeMrkdwn } from "../../messages/build.ts";
import type { CoreDeps } from "../../ports/deps.ts";
import type { RecoverRun, RunSteps } from "../../ports/recovery.ts";
import { finishRun, stopRun } from "./closing.ts";
import { RunbookContext } from "./context.ts";
import type { RECOVER_STEP_TITLES } from "./progress.ts";
import type { RunbookStep } from "./step.ts";
import { acceptGateway } from "./steps/acceptance.ts";
import { checkDoctor } from "./steps/doctor.ts";
import { freezeHost } from "./steps/freeze.ts";
import { restartGateway } from "./steps/restart.ts";
import { checkRouting } from "./steps/routing.ts";
import { takeSnapshot } from "./steps/snapshot.ts";

/** The runbook: one function per line of the progress message, in RECOVER_STEP_TITLES' order. */
export const RUNBOOK = [
  freezeHost,
  takeSnapshot,
  checkRouting,
  checkDoctor,
  restartGateway,
  acceptGateway,
] as const satisfies readonly RunbookStep[] & {
  length: (typeof RECOVER_STEP_TITLES)["length"];
};

/**
 * `/openclaw recover <host>`: runs the runbook's steps in order, each shown live in one message
 * of the host's incident thread, edited in place. A step that fails stops the run (closing
 * steps: skipped lines, why, rollback advice, a repro bundle); an error anywhere fails the
 * step that was running and stops it the same way; a run through all six lifts the freeze.
 * The same on Node (in process) and Workers (a Workflow instance, `fx` recording each step).
 */
export async function runRecover(deps: CoreDeps, run: RecoverRun, fx: RunSteps): Promise<void> {
  const ctx = await RunbookContext.open(deps, run, fx);
  try {
    for (const [i, step] of RUNBOOK.entries()) {
      const end = await step(ctx, ctx.step(i));
      if (end !== "next") {
        await ctx.set(i, "fail", end.fail);
        await stopRun(ctx, end.why);
        return;
      }
    }
    await finishRun(ctx);
  } catch (err) {
    const message = errorMessage(err);
    deps.logger.error("recover failed", { host: run.host, run: run.runId, err: message });
    const i = ctx.views.findIndex((s) => s.state === "running");
    if (i >= 0) await ctx.set(i, "fail", escapeMrkdwn(clip(message, 200)));
    await stopRun(ctx, `an error stopped it: ${escapeMrkdwn(clip(message, 300))}`);
  }
}
