import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { Logger } from "../../core/ports/basics.ts";
import type { ChatFileUpload, ChatMessage, ChatPort, NewChatChannel } from "../../core/ports/chat.ts";
import type { Metrics } from "../../core/ports/metrics.ts";
import { SlackClient, type SlackRetryPolicy } from "./client.ts";
import { archiveSlackChannel, createSlackChannel, inviteToSlackChannel } from "./conversations.ts";
import { ephemeral } from "./envelope.ts";
import { toBlockKit } from "./render.ts";
import { slackUploadExternal } from "./upload.ts";

/**
 * The chat port on Slack: messages go out as Block Kit (render.ts) through the one Slack
 * client (client.ts: retries and time budget). `apiUrl` lets a local stand-in receive the
 * calls (SLACK_API_URL).
 * https://api.slack.com/methods/chat.postMessage, https://api.slack.com/methods/chat.update
 */
export { DEFAULT_SLACK_API_URL } from "./client.ts";

export interface SlackWebApiOptions {
  token: string;
  apiUrl?: string;
  logger: Logger;
  metrics?: Metrics;
  fetch?: typeof fetch;
  /** Tests shorten the budget and the waits. */
  retry?: Partial<SlackRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class SlackWebApiChat implements ChatPort {
  readonly client: SlackClient;

  constructor(opts: SlackWebApiOptions) {
    this.client = new SlackClient(opts);
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    const body = await this.client.api("chat.postMessage", {
      channel: m.channel,
      ...toBlockKit(m),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (typeof body.ts !== "string") throw new ClawopsError("slack_api", "chat.postMessage answered without a ts");
    return { ts: body.ts };
  }

  uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    return slackUploadExternal(this.client, file);
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    await this.client.api("chat.update", { channel: m.channel, ts: m.ts, ...toBlockKit(m) });
  }

  chatName(): string {
    return "Slack";
  }

  /** https://api.slack.com/methods/chat.getPermalink (form-encoded: it takes no JSON body). */
  async permalink(channel: string, ts: string): Promise<string> {
    const body = await this.client.api("chat.getPermalink", { channel, message_ts: ts }, "form");
    if (typeof body.permalink !== "string") {
      throw new ClawopsError("slack_api", "chat.getPermalink answered without a permalink");
    }
    return body.permalink;
  }

  /** An incident's own channel (conversations.ts): conversations.create, .invite, .archive. */
  createChannel(channel: NewChatChannel): Promise<{ channel: string; name: string }> {
    return createSlackChannel(this.client, channel);
  }

  inviteToChannel(channel: string, users: readonly string[]): Promise<void> {
    return inviteToSlackChannel(this.client, channel, users);
  }

  archiveChannel(channel: string): Promise<void> {
    return archiveSlackChannel(this.client, channel);
  }

  /** https://api.slack.com/interactivity/handling#message_responses: JSON to the command's response_url. */
  async respondEphemeral(responseUrl: string, message: Message): Promise<void> {
    await this.client.post(
      "response_url",
      responseUrl,
      // A reply beside a pressed button, not in its place (a no-op for a slash command).
      JSON.stringify({ ...ephemeral(message), replace_original: false }),
      "application/json; charset=utf-8",
    );
  }
}
