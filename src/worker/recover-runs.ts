import type { RecoverRuns } from "../core/ports/recovery.ts";
import type { WorkerEnv } from "./env.ts";
import type { RecoverParams } from "./rpc.ts";

/** A claim younger than this counts as held even before its Workflow instance exists. */
const CLAIM_GRACE_MS = 60_000;
const LIVE = new Set(["queued", "running", "paused", "waiting", "waitingForPause"]);

/** The event a button press sends to the waiting run: one type per confirmation. */
export function decisionEventType(confirmationId: string): string {
  return `decision-${confirmationId}`;
}

/**
 * Recover runs on Workers: the host's object holds the claim (one run per host), a Workflow
 * instance named by the run id runs it (recover-workflow.ts), and button presses go to that
 * instance as events.
 */
export function workflowRuns(env: WorkerEnv, publicUrl: string): RecoverRuns {
  const workflow = env.RECOVER;
  const host = (name: string) => env.HOSTS.get(env.HOSTS.idFromName(name));
  return {
    claim: (name, runId) => host(name).claimRecover(runId, CLAIM_GRACE_MS),
    release: (name, runId) => host(name).releaseRecover(runId),
    running: (name) => host(name).recoverRunning(CLAIM_GRACE_MS),
    launch: async (run) => {
      if (!workflow) throw new Error("the Worker has no RECOVER Workflow binding");
      await workflow.create({ id: run.runId, params: { run, publicUrl } satisfies RecoverParams });
      return null;
    },
    deliver: async (c, decision) => {
      if (!workflow) throw new Error("the Worker has no RECOVER Workflow binding");
      const instance = await workflow.get(c.job);
      await instance.sendEvent({ type: decisionEventType(c.id), payload: decision });
    },
  };
}

/** Whether a run's Workflow instance is still under way (asked by the host's object). */
export async function runIsLive(env: WorkerEnv, runId: string): Promise<boolean> {
  if (!env.RECOVER) return false;
  try {
    const instance = await env.RECOVER.get(runId);
    return LIVE.has((await instance.status()).status);
  } catch {
    return false; // No such instance (never created, or past retention).
  }
}
