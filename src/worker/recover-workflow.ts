import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { Decision, RunSteps } from "../core/ports/recovery.ts";
import { runRecover } from "../core/recover/runbook/runner.ts";
import { parseWorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { decisionEventType } from "./recover-runs.ts";
import type { RecoverParams } from "./rpc.ts";
import { recoverRunDeps } from "./wiring.ts";

const logger = createConsoleLogger("clawops-recover");

/**
 * `/openclaw recover` on Workers: one Workflow instance per run, running the same
 * `runRecover` as Node. Every side effect is a recorded step (no retries: a step that failed
 * is the run's failure, as on Node), each button press arrives as an event named by its
 * confirmation, and the drain poll sleeps between steps. So a run waits its minutes for
 * buttons and drains with nothing held open, and survives an eviction by replaying what it
 * recorded. The agent jobs it sends queue in the host's object behind its other jobs.
 */
export class RecoverWorkflow extends WorkflowEntrypoint<WorkerEnv, RecoverParams> {
  override async run(event: Readonly<WorkflowEvent<RecoverParams>>, step: WorkflowStep): Promise<unknown> {
    const { run, publicUrl } = event.payload;
    const hosts = this.env.HOSTS;
    try {
      const parsed = parseWorkerConfig(this.env);
      if (!parsed.ok) {
        logger.error("recover run not started: worker not configured", { run: run.runId });
        return { status: "not_configured" };
      }
      await runRecover(
        recoverRunDeps({ env: this.env, config: parsed.config, logger }, publicUrl),
        run,
        workflowSteps(step),
      );
      return { status: "finished" };
    } finally {
      await step.do("release the host", NO_RETRY, async () => {
        await hosts.get(hosts.idFromName(run.host)).releaseRecover(run.runId);
        return null;
      });
    }
  }
}

/** No retries: a Slack post, a freeze or an agent job that failed is not blindly done again. */
const NO_RETRY = { retries: { limit: 0, delay: 0 }, timeout: "10 minutes" } as const;

function workflowSteps(step: WorkflowStep): RunSteps {
  return {
    // Step results are JSON-shaped (records, step results, numbers) by construction.
    do: <T>(name: string, fn: () => Promise<T>) =>
      step.do(name, NO_RETRY, fn as () => Promise<Rpc.Serializable<unknown>>) as Promise<T>,
    decision: async (name, id, timeoutMs) => {
      try {
        const event = await step.waitForEvent<Decision>(name, { type: decisionEventType(id), timeout: timeoutMs });
        return event.payload as Decision;
      } catch {
        // waitForEvent throws when the timeout passes with no event.
        return { decision: "timeout" };
      }
    },
    sleep: (name, ms) => step.sleep(name, ms),
  };
}
