import { errorMessage } from "../../contract/errors.ts";
import type { CoreDeps } from "../deps.ts";
import type { Message } from "../messages/model.ts";
import type { JobRecord } from "../ports.ts";
import { renderNotice } from "../render/messages.ts";

/**
 * Never silent: when the channel cannot be written (the bot is not in it, it is a DM, Slack
 * kept failing past the retry budget), the person who asked is told through the command's
 * reply address, only to them. False when there was no way to tell them (console, no address).
 */
export async function tellRequester(
  deps: Pick<CoreDeps, "chat" | "logger">,
  responseUrl: string | undefined,
  message: Message,
  log: Record<string, string>,
): Promise<boolean> {
  if (!responseUrl || !deps.chat.respondEphemeral) {
    deps.logger.error("could not tell the requester (no reply address)", { ...log, text: message.text.slice(0, 300) });
    return false;
  }
  try {
    await deps.chat.respondEphemeral(responseUrl, message);
    return true;
  } catch (err) {
    deps.logger.error("could not tell the requester", { ...log, err: String(err) });
    return false;
  }
}

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
