import { z } from "zod";
import { PRESS_BY_ACTION } from "../../core/confirmations/confirm.ts";
import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import type { CommandRequest } from "../../core/requests/types.ts";
import type { Interaction } from "../../core/router/handle.ts";
import { MATTERMOST_CHANNEL_PREFIX, MATTERMOST_ID } from "./chat.ts";

/**
 * Mattermost requests into the core's requests. The person is `mattermost:<user id>` and the
 * place `mattermost:<channel id>`, so the authorization file, the audit and the chat port can
 * tell a Mattermost id from a Slack or Discord one.
 * https://developers.mattermost.com/integrate/slash-commands/custom/ (the command's form),
 * https://developers.mattermost.com/integrate/plugins/interactive-messages/ (a press),
 * https://developers.mattermost.com/integrate/plugins/interactive-dialogs/ (a dialog's submission).
 */
export const MATTERMOST_USER_PREFIX = "mattermost:";

const Id = z.string().regex(MATTERMOST_ID);

/** The slash command's form, once its token checked out. */
export const MattermostCommandForm = z.object({
  team_id: Id,
  channel_id: Id,
  user_id: Id,
  command: z.string().min(1).max(64),
  text: z.string().max(4000).default(""),
  response_url: z.string().max(500).optional(),
  trigger_id: z.string().min(1).max(1000),
});
export type MattermostCommandForm = z.infer<typeof MattermostCommandForm>;

/** A dialog's submission (`type: "dialog_submission"`). */
export const MattermostDialogSubmission = z.object({
  type: z.literal("dialog_submission"),
  user_id: Id,
  channel_id: Id,
  team_id: Id.optional(),
  callback_id: z.string().max(200).optional(),
  state: z.string().max(8000).default(""),
  cancelled: z.boolean().default(false),
});
export type MattermostDialogSubmission = z.infer<typeof MattermostDialogSubmission>;

/** A button press (`type` absent or "button"). */
export const MattermostButtonPress = z.object({
  type: z.string().max(40).optional(),
  user_id: Id,
  channel_id: Id,
  team_id: Id.optional(),
  post_id: Id,
  trigger_id: z.string().min(1).max(1000),
  context: z.record(z.string(), z.unknown()),
});

export function commandFromForm(f: MattermostCommandForm, ownsResponseUrl: (url: string) => boolean): CommandRequest {
  return {
    text: f.text.trim(),
    user: `${MATTERMOST_USER_PREFIX}${f.user_id}`,
    channel: `${MATTERMOST_CHANNEL_PREFIX}${f.channel_id}`,
    // trigger_id is made per invocation: a redelivered command starts nothing twice.
    requestKey: `mattermost:${f.trigger_id.slice(0, 200)}`,
    source: "mattermost",
    workspace: `mattermost:${f.team_id}`,
    // Only this server's own reply address: clawops posts there later, so it must not be anyone's URL.
    ...(f.response_url && ownsResponseUrl(f.response_url) ? { responseUrl: f.response_url } : {}),
  };
}

/** A checked press (its context signed by clawops) as the router's interaction; null for an action clawops does not make. */
export function pressAsInteraction(
  at: { userId: string; channelId: string; teamId?: string | undefined; key: string },
  actionId: string,
  value: string,
): Interaction | null {
  const who = {
    user: `${MATTERMOST_USER_PREFIX}${at.userId}`,
    channel: `${MATTERMOST_CHANNEL_PREFIX}${at.channelId}`,
  };
  const decision = PRESS_BY_ACTION[actionId];
  if (decision) {
    return { kind: "approval", press: { confirmationId: value, decision, actor: { ...who, source: "mattermost" } } };
  }
  if (!actionId.startsWith(RUN_ACTION_PREFIX)) return null;
  return {
    kind: "command-press",
    press: {
      actionId,
      value,
      ...who,
      source: "mattermost",
      requestKey: `mattermost:${at.key.slice(0, 200)}`,
      ...(at.teamId ? { workspace: `mattermost:${at.teamId}` } : {}),
    },
  };
}
