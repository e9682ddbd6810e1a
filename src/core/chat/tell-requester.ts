import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";

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
