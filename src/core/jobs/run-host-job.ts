import { runBundle, ticketConfigFor } from "../bundles/bundle.ts";
import type { CoreDeps, HostJob } from "../deps.ts";
import { runTriage } from "../triage/triage.ts";

/** Runs one triage or bundle job to its end (whichever runtime scheduled it). */
export async function runHostJob(deps: CoreDeps, hostJob: HostJob): Promise<void> {
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
