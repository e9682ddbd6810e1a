/**
 * `/openclaw recover <host>`: the runbook lives in runbook/ (runner.ts runs the steps of
 * runbook/steps/ in order); this module keeps the names the runtimes and tests import.
 */
export { REPRO_BUNDLE_AUTO, REPRO_BUNDLE_OFFER, ROLLBACK_ADVICE } from "./runbook/closing.ts";
export {
  RECOVER_STEP_TITLES,
  type RecoverStepState,
  renderRecoverProgress,
  type StepView,
} from "./runbook/progress.ts";
export { runRecover } from "./runbook/runner.ts";
export { inflightBusy } from "./runbook/steps/inflight.ts";
