import type { Message } from "../messages/model.ts";

/** Chat: the Slack Web API, or the local console. */

/** A neutral message (src/core/messages/model.ts) and where it goes; each chat renders it. */
export interface ChatMessage extends Message {
  channel: string;
  /** Reply in this thread. */
  threadTs?: string;
}

/**
 * Whether a chat call failed for good: the chat refused it with its own error (a channel that
 * does not exist, a bot not in it, a missing permission), which trying again cannot change. Every
 * chat client's error says which as `transient` (Slack, Discord, Mattermost, Teams): `false` for
 * the chat's refusal, `true` for a rate limit, 5xx or reset its own retries ran out of time on,
 * which a later try may get through. Anything else (a bug, a network error outside a client) is
 * taken as worth another try.
 */
export function refusedForGood(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { transient?: unknown }).transient === false;
}

export interface ChatPort {
  postMessage(message: ChatMessage): Promise<{ ts: string }>;
  updateMessage(message: ChatMessage & { ts: string }): Promise<void>;
  /** Uploads a file into a thread (Slack's external upload flow). Absent: the chat takes links only. */
  uploadFile?(file: ChatFileUpload): Promise<{ fileId: string }>;
  /**
   * Tells the person who ran a command something only they see, through the command's reply
   * address (Slack: its `response_url`), for when the channel itself cannot be written.
   * Absent: the chat has no such address (the console shows everything to its user anyway).
   */
  respondEphemeral?(responseUrl: string, message: Message): Promise<void>;
  /**
   * A link a person can open to a posted message (Slack: `chat.getPermalink`), for a page's
   * `links`. Absent: the chat has no such link.
   */
  permalink?(channel: string, ts: string): Promise<string>;
  /**
   * The chat's name for people ("Slack", "Discord"): which chat a channel is on, for a line that
   * sends people from one chat to another (incidents/mirrors.ts). Absent or undefined: unnamed.
   */
  chatName?(channel: string): string | undefined;

  /**
   * Channels of the incident's own (issue 41, item 2; core/incidents/channel.ts). Each is absent
   * where the chat cannot do it (the console), or throws `channels_unsupported` for a channel of
   * a chat that cannot (Discord beside Slack). A name already taken throws
   * `channel_name_taken`; a person who cannot be invited throws `channel_invite_failed`.
   */
  createChannel?(channel: NewChatChannel): Promise<{ channel: string; name: string }>;
  /** Invites people (chat user ids) into a channel the bot is in; those already there are fine. */
  inviteToChannel?(channel: string, users: readonly string[]): Promise<void>;
  archiveChannel?(channel: string): Promise<void>;
}

export interface NewChatChannel {
  /** Already valid for the chat (core/incidents/channel.ts `channelName`). */
  name: string;
  isPrivate: boolean;
  /** The channel it is made beside (the incident's thread's): which chat, when there are two. */
  beside: string;
}

export interface ChatFileUpload {
  channel: string;
  threadTs: string;
  filename: string;
  title: string;
  bytes: Uint8Array;
  initialComment: string;
}
