import { errorMessage } from "../../contract/errors.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { JobRecord } from "../ports/store.ts";

/**
 * The job's incident thread could not be written, so nothing was dispatched: the asker hears
 * why and what to do, and the job ends `rejected` with the same words (not `lost`, and not
 * left running).
 */
export async function endJobThreadUnwritable(
  deps: CoreDeps,
  job: JobRecord,
  err: unknown,
  responseUrl: string | undefined,
): Promise<void> {
  const what = job.kind === "bundle" ? "Bundle" : "Triage";
  const reason = errorMessage(err);
  const detail = `Not run: its incident thread in <#${job.channel}> could not be written. ${reason}`.slice(0, 2_000);
  deps.logger.error("job thread unwritable", { job: job.id, host: job.host, channel: job.channel, err: reason });
  await tellRequester(
    deps,
    responseUrl,
    renderNotice(
      `⚠️ ${what} of *${job.host}* (job \`${job.id}\`) did not run: clawops could not post its incident thread in <#${job.channel}>.\n${reason}`,
    ),
    { job: job.id },
  );
  await deps.store.updateJob(job.id, { status: "rejected", finishedAt: deps.clock.now(), detail });
}
