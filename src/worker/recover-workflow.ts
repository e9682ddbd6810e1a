import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { HostJobQueue } from "../core/jobs/host-queue.ts";
import type { Clock, Ids } from "../core/ports.ts";
import { runRecover } from "../core/recovery/recover.ts";
import type { RecoveryCoreDeps } from "../core/recovery/service.ts";
import type { Decision, RecoverRun, RecoverRuns, RunSteps } from "../core/recovery/types.ts";
import { workerBundleServices } from "./bundles.ts";
import { DirectoryStore } from "./directory.ts";
import { DurableObjectHostTransport } from "./do-transport.ts";
import { parseWorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { workerRecovery } from "./recovery.ts";

/** What a recover Workflow instance is created with (its id is the run id). */
export interface RecoverParams {
  run: RecoverRun;
  /** The origin the command came in on: where a failed run's bundle link points by default. */
  publicUrl: string;
}

const logger = createConsoleLogger("clawops-recover");
const clock: Clock = { now: () => Date.now() };
const ids: Ids = { id: (prefix) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` };

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
      const deps = workflowDeps(this.env, publicUrl);
      if (!deps) {
        logger.error("recover run not started: worker not configured", { run: run.runId });
        return { status: "not_configured" };
      }
      await runRecover(deps, run, workflowSteps(step));
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

/** The event a button press sends to the waiting run: one type per confirmation. */
export function decisionEventType(confirmationId: string): string {
  return `decision-${confirmationId}`;
}

function workflowDeps(env: WorkerEnv, publicUrl: string): RecoveryCoreDeps | null {
  const parsed = parseWorkerConfig(env);
  if (!parsed.ok) return null;
  const config = parsed.config;
  const bundles = workerBundleServices(env, publicUrl);
  return {
    store: new DirectoryStore(env.DIRECTORY),
    // Jobs run in turn with the host's triage and bundle jobs, in its object.
    transport: new DurableObjectHostTransport(env.HOSTS, { inTurn: true }),
    chat: new SlackWebApiChat({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, logger }),
    clock,
    ids,
    logger,
    hostQueue: new HostJobQueue(),
    recovery: workerRecovery(env, config),
    ...(bundles.ok ? { bundles: bundles.services } : {}),
  };
}

/** A claim younger than this counts as held even before its Workflow instance exists. */
const CLAIM_GRACE_MS = 60_000;
const LIVE = new Set(["queued", "running", "paused", "waiting", "waitingForPause"]);

/**
 * Recover runs on Workers: the host's object holds the claim (one run per host), a Workflow
 * instance named by the run id runs it, and button presses go to that instance as events.
 */
export function workflowRuns(env: WorkerEnv, publicUrl: string): RecoverRuns {
  const workflow = env.RECOVER;
  const host = (name: string) => env.HOSTS.get(env.HOSTS.idFromName(name));
  return {
    claim: (name, runId) => host(name).claimRecover(runId, CLAIM_GRACE_MS),
    release: (name, runId) => host(name).releaseRecover(runId),
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

/** Whether a run's Workflow instance is still under way (RPC from the host's object). */
export async function runIsLive(env: WorkerEnv, runId: string): Promise<boolean> {
  if (!env.RECOVER) return false;
  try {
    const instance = await env.RECOVER.get(runId);
    return LIVE.has((await instance.status()).status);
  } catch {
    return false; // No such instance (never created, or past retention).
  }
}
