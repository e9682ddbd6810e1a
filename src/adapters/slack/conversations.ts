import { ClawopsError } from "../../core/errors.ts";
import type { NewChatChannel } from "../../core/ports/chat.ts";
import { SlackCallError, type SlackClient } from "./client.ts";

/**
 * An incident's own channel on Slack (issue 41, item 2), through the one Slack client (its
 * retries: a 429 waits what Retry-After says). JSON bodies, as the methods accept.
 *  - conversations.create: `name` (lowercase letters, digits, `-`, `_`; at most 80),
 *    `is_private`; scope channels:manage (groups:write for a private one).
 *    https://api.slack.com/methods/conversations.create
 *  - conversations.invite: `channel`, `users` comma-separated (up to 1000); without `force`, one
 *    user Slack refuses fails the whole call. https://api.slack.com/methods/conversations.invite
 *  - conversations.archive: `channel`. https://api.slack.com/methods/conversations.archive
 */

/** Invite answers that leave the person where clawops wanted them (or are the bot itself). */
const HARMLESS_INVITE_ERRORS = new Set(["already_in_channel", "cant_invite_self"]);

export async function createSlackChannel(
  client: SlackClient,
  channel: NewChatChannel,
): Promise<{ channel: string; name: string }> {
  let body: Record<string, unknown>;
  try {
    body = await client.api("conversations.create", { name: channel.name, is_private: channel.isPrivate });
  } catch (err) {
    if (err instanceof SlackCallError && err.slackError === "name_taken") {
      throw new ClawopsError(
        "channel_name_taken",
        `A Slack channel named #${channel.name} exists already (archived channels keep their names).`,
        { status: 409, cause: err },
      );
    }
    throw err;
  }
  const made = body.channel as { id?: unknown; name?: unknown } | undefined;
  if (typeof made?.id !== "string")
    throw new ClawopsError("slack_api", "conversations.create answered without a channel id");
  return { channel: made.id, name: typeof made.name === "string" ? made.name : channel.name };
}

/**
 * Everyone in one call; when Slack refuses it, one call per person, so that the one it refuses
 * is named (and those already in, or the bot itself, do not stop the others).
 */
export async function inviteToSlackChannel(
  client: SlackClient,
  channel: string,
  users: readonly string[],
): Promise<void> {
  if (users.length === 0) return;
  try {
    await client.api("conversations.invite", { channel, users: users.join(",") });
    return;
  } catch (err) {
    if (!(err instanceof SlackCallError) || err.transient) throw err;
    if (users.length === 1 && HARMLESS_INVITE_ERRORS.has(err.slackError)) return;
    if (users.length === 1) throw inviteFailed(channel, users[0] ?? "", err);
  }
  for (const user of users) {
    try {
      await client.api("conversations.invite", { channel, users: user });
    } catch (err) {
      if (err instanceof SlackCallError && HARMLESS_INVITE_ERRORS.has(err.slackError)) continue;
      throw err instanceof SlackCallError && !err.transient ? inviteFailed(channel, user, err) : err;
    }
  }
}

function inviteFailed(channel: string, user: string, err: SlackCallError): ClawopsError {
  return new ClawopsError(
    "channel_invite_failed",
    `Slack would not invite <@${user}> into <#${channel}>: ${err.slackError} (a deactivated or guest account, or a user id from another workspace).`,
    { status: 409, cause: err },
  );
}

export async function archiveSlackChannel(client: SlackClient, channel: string): Promise<void> {
  try {
    await client.api("conversations.archive", { channel });
  } catch (err) {
    // Someone archived it by hand first: what clawops wanted.
    if (err instanceof SlackCallError && err.slackError === "already_archived") return;
    throw err;
  }
}
