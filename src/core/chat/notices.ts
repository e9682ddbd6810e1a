import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { NoticeRef } from "../ports/recovery.ts";

/**
 * Notices that go to several places at once (a freeze, its all-clear, a maintenance window):
 * the host's thread or the channel they were asked in, and the announcement channels.
 */

/** `refs`, then each announcement channel not already among them at the top level. */
export function withAnnounceChannels(refs: readonly NoticeRef[], channels: readonly string[]): NoticeRef[] {
  const out = [...refs];
  for (const channel of channels) {
    if (!out.some((r) => r.channel === channel && r.threadTs === null)) out.push({ channel, threadTs: null });
  }
  return out;
}

/**
 * Posts `message` at each place, in order. A place that cannot be written (the bot is not in
 * the channel, Slack kept failing) is logged and skipped, so one bad channel costs the others
 * nothing. Returns where it was posted, for the notices that follow (an all-clear goes there too).
 */
export async function postNotice(
  deps: Pick<CoreDeps, "chat" | "logger">,
  refs: readonly NoticeRef[],
  message: Message,
): Promise<NoticeRef[]> {
  const posted: NoticeRef[] = [];
  for (const ref of refs) {
    try {
      await deps.chat.postMessage({ channel: ref.channel, threadTs: ref.threadTs ?? undefined, ...message });
      posted.push(ref);
    } catch (err) {
      deps.logger.warn("notice not posted", { channel: ref.channel, err: String(err) });
    }
  }
  return posted;
}
