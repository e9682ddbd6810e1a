import type { CoreDeps } from "../ports/deps.ts";
import type { Decisions, RecoverRuns, RunSteps } from "../ports/recovery.ts";
import { runRecover } from "./runbook/runner.ts";

/** Runs in this process: no record, decisions from the in-memory bus. */
export function inProcessSteps(bus: Decisions): RunSteps {
  return {
    do: (_name, fn) => fn(),
    decision: (_name, id, timeoutMs) => bus.wait(id, timeoutMs),
    sleep: (_name, ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** The runtime's recover runs: its own (`RecoveryDeps.runs`), else in this process. */
export function recoverRuns(deps: CoreDeps): RecoverRuns {
  return deps.recovery.runs ?? inProcessRuns(deps);
}

/** Recovery runs in progress per runtime (keyed by its recovery deps): host → run id. */
const RUNS = new WeakMap<object, Map<string, string>>();
function inProcessRuns(deps: CoreDeps): RecoverRuns {
  let held = RUNS.get(deps.recovery);
  if (!held) {
    held = new Map();
    RUNS.set(deps.recovery, held);
  }
  const runs = held;
  const release = async (host: string, runId: string) => {
    if (runs.get(host) === runId) runs.delete(host);
  };
  return {
    claim: async (host, runId) => {
      const running = runs.get(host);
      if (running) return running;
      runs.set(host, runId);
      return null;
    },
    release,
    running: async (host) => runs.get(host) ?? null,
    // Not in the host's job queue as a whole: the run waits minutes for buttons and for the
    // gateway to drain, and triage of the same host must not wait behind that. Each job it
    // sends to the agent is queued like any other (dispatch in runRecover).
    launch: async (run) => () =>
      runRecover(deps, run, inProcessSteps(deps.recovery.decisions)).finally(() => release(run.host, run.runId)),
    deliver: async (c, decision) => deps.recovery.decisions.resolve(c.id, decision),
  };
}
