import { errorMessage } from "../../contract/errors.ts";
import { isClawopsError } from "../../core/errors.ts";
import { renderError } from "../../core/messages/notices.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { type Handled, handle, type Interaction } from "../../core/router/handle.ts";
import { ackThroughResponseUrl } from "../../core/router/press.ts";

/**
 * The router for Slack's transports (HTTP and Socket Mode), answering even when it throws.
 * Slack asks a slash command and an interaction for a 200 within 3 s; any other status makes it
 * show its own generic failure ("dispatch_failed") instead of clawops' words, so a failure the
 * router does not turn into a reply itself (a database another process holds the write lock of, a
 * full data disk: issue 44, item 5) becomes the ack here: the error's own message when it is
 * clawops' (it says what to do), "see the log" otherwise. A press's ack goes to the presser
 * through its response_url, as every press's does. The console keeps the HTTP status (its CLI
 * prints the same words from it).
 */
export async function handleForSlack(
  deps: CoreDeps,
  interaction: Interaction,
  /** Which chat asked, for the log (Discord's route answers the same way: adapters/http/discord-routes.ts). */
  chat: "slack" | "discord" | "mattermost" | "teams" = "slack",
): Promise<Handled> {
  try {
    return await handle(deps, interaction);
  } catch (err) {
    const known = isClawopsError(err);
    if (!known) deps.logger.error(`${chat} request failed`, { kind: interaction.kind, err: errorMessage(err) });
    else deps.logger.warn(`${chat} request not done`, { kind: interaction.kind, code: err.code });
    const code = known ? err.code : "internal";
    const message = known ? err.message : "Something went wrong inside clawops; the error was logged. Try again.";
    const reply: Handled = { ack: renderError(message, code), error: { code, message } };
    return interaction.kind === "command-press" && interaction.press.responseUrl
      ? ackThroughResponseUrl(deps, interaction.press, reply)
      : reply;
  }
}
