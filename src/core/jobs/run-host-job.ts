import { runBundle, ticketConfigFor } from "../bundles/bundle.ts";
import type { CoreDeps, HostJob } from "../deps.ts";
import { recordJobFinished } from "../metrics.ts";
import { runTriage } from "../triage/triage.ts";

/** Runs one triage or bundle job to its end (whichever runtime scheduled it), then counts how it ended. */
export async function runHostJob(deps: CoreDeps, hostJob: HostJob): Promise<void> {
  try {
    await runJob(deps, hostJob);
  } finally {
    if (deps.metrics) {
      // The stored status is the job's outcome, whichever path ended it.
      const ended = await deps.store.getJob(hostJob.job.id).catch(() => null);
      if (ended) recordJobFinished(deps.metrics, ended);
    }
  }
}

async function runJob(deps: CoreDeps, hostJob: HostJob): Promise<void> {
  const replyTo = hostJob.responseUrl ? { responseUrl: hostJob.responseUrl } : {};
  if (hostJob.kind === "triage") {
    await runTriage(deps, hostJob.job, replyTo);
    return;
  }
  const ticketConfig = deps.bundles.on ? ticketConfigFor(deps.bundles.use, hostJob.workspace) : undefined;
  await runBundle(deps, hostJob.job, {
    tickets: hostJob.tickets,
    ...(ticketConfig ? { ticketConfig } : {}),
    ...replyTo,
  });
}
