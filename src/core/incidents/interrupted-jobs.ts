import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { metricsOf, recordJobFinished } from "../ports/metrics.ts";
import { incidentThread } from "./pipeline.ts";

/**
 * After a control-plane restart, jobs that were running can never finish: mark them lost
 * and say so in their thread rather than leaving a spinner forever. A job still queued behind
 * another on its host had no thread of its own yet: its notice goes to the host's incident
 * thread in its channel (opened if there is none), so its asker hears of it too.
 */
export async function failInterruptedJobs(deps: CoreDeps): Promise<number> {
  const running = await deps.store.listJobs({ status: "running" });
  for (const job of running) {
    const started = job.threadTs !== null;
    const what = job.kind === "bundle" ? "Bundle" : "Triage";
    const detail = started
      ? `The control plane restarted while this job ran; its results were not all received. Run the ${what.toLowerCase()} again.`
      : `The control plane restarted while this job waited for its turn on the host; it never ran. Run the ${what.toLowerCase()} again.`;
    const finishedAt = deps.clock.now();
    await deps.store.updateJob(job.id, { status: "lost", finishedAt, detail });
    recordJobFinished(metricsOf(deps), { ...job, status: "lost", finishedAt });
    try {
      const threadTs =
        job.threadTs ??
        (await incidentThread(deps, { channel: job.channel, host: job.host, actor: job.user })).threadTs;
      if (!started) await deps.store.updateJob(job.id, { threadTs });
      await deps.chat.postMessage({
        channel: job.channel,
        threadTs,
        ...renderNotice(`💥 ${what} job \`${job.id}\` of *${job.host}* was lost: ${detail}`),
      });
    } catch (err) {
      deps.logger.warn("could not post lost-job notice", { job: job.id, err: String(err) });
    }
  }
  return running.length;
}
