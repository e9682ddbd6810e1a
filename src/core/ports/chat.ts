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
}

export interface ChatFileUpload {
  channel: string;
  threadTs: string;
  filename: string;
  title: string;
  bytes: Uint8Array;
  initialComment: string;
}
