import type { Message } from "../messages/model.ts";

/** Chat: the Slack Web API, or the local console. */

/** A neutral message (src/core/messages/model.ts) and where it goes; each chat renders it. */
export interface ChatMessage extends Message {
  channel: string;
  /** Reply in this thread. */
  threadTs?: string;
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
