import type { CoreDeps, HostJob } from "../ports/deps.ts";
import { recordJobFinished } from "../ports/metrics.ts";

/**
 * What runs a host job of each kind. Each workflow exports its own runner (triage/triage.ts
 * `triageJob`, bundles/bundle.ts `bundleJob`); the table of them is composed once, at the top of
 * core (router/host-jobs.ts), and handed to the scheduler, so this plumbing never imports a
 * workflow.
 */
export type HostJobKinds = {
  [K in HostJob["kind"]]: (deps: CoreDeps, job: Extract<HostJob, { kind: K }>) => Promise<void>;
};

/** Runs one triage or bundle job to its end (whichever runtime scheduled it), then counts how it ended. */
export async function runHostJob(kinds: HostJobKinds, deps: CoreDeps, job: HostJob): Promise<void> {
  try {
    await (kinds[job.kind] as (deps: CoreDeps, job: HostJob) => Promise<void>)(deps, job);
  } finally {
    if (deps.metrics) {
      // The stored status is the job's outcome, whichever path ended it.
      const ended = await deps.store.getJob(job.job.id).catch(() => null);
      if (ended) recordJobFinished(deps.metrics, ended);
    }
  }
}
