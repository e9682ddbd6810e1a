import type { Logger } from "../../core/ports/basics.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import type { Store } from "../../core/ports/store.ts";
import type { QueuedRun } from "../rpc.ts";
import type { JobQueueTable } from "./store.ts";

/** A queued job waits this long for its agent to (re)connect before it runs and ends `lost`. */
export const WAIT_FOR_AGENT_MS = 30_000;

export interface QueuedJobRunner {
  queue: JobQueueTable;
  store: Store;
  logger: Logger;
  /** Whether this host's agent is connected and welcomed. */
  agentHere: () => boolean;
  /** The dependencies a job of this kind runs with; null when the Worker is not configured. */
  deps: (run: QueuedRun) => CoreDeps | null;
}

/**
 * Runs the host object's queued triage and bundle jobs, oldest first, one at a time through
 * the object's host queue (so a recover run's jobs take their turn). A job leaves the queue
 * only once its run ended: one cut off by a reset of the object runs again, with the same id.
 * Returns early, leaving the queue as it is, while the agent is away for less than
 * `WAIT_FOR_AGENT_MS`: after a reset it reconnects within seconds.
 */
export async function runQueuedJobs(r: QueuedJobRunner): Promise<void> {
  for (;;) {
    const next = r.queue.next();
    if (!next) return;
    if (!r.agentHere() && Date.now() - next.enqueuedAt < WAIT_FOR_AGENT_MS) return;
    const deps = r.deps(next.run);
    const job = await r.store.getJob(next.jobId);
    if (deps && job?.status === "running") {
      const run = next.run;
      await deps.jobs
        .start(
          deps,
          run.kind === "bundle"
            ? { kind: "bundle", job, tickets: run.tickets, responseUrl: run.responseUrl }
            : { kind: "triage", job, ...(run.responseUrl ? { responseUrl: run.responseUrl } : {}) },
        )
        .catch((err) => r.logger.error(`${run.kind} failed`, { job: job.id, err: String(err) }));
    } else if (!deps) {
      r.logger.error(`${next.run.kind} not run: worker not configured`, { job: next.jobId });
      await r.store.updateJob(next.jobId, {
        status: "lost",
        finishedAt: Date.now(),
        detail: "clawops is not configured (Slack secrets missing)",
      });
    }
    r.queue.remove(next.jobId);
  }
}
