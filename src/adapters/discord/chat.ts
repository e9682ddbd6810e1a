import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../../core/ports/chat.ts";
import { DiscordCallError, DiscordClient, type DiscordClientOptions } from "./client.ts";
import { toDiscord } from "./render.ts";

/**
 * The chat port on Discord (REST v10). Channels are platform-qualified in the core
 * (`discord:<channel id>`, envelope.ts) so one control plane can speak Slack and Discord; a
 * thread is Discord's thread started from the parent message, which has that message's id:
 * `threadTs` is the parent message id, and a reply goes to the thread's own channel.
 * https://discord.com/developers/docs/resources/channel#start-thread-from-message
 */
export const DISCORD_CHANNEL_PREFIX = "discord:";
/** 160004: "A thread has already been created for this message". */
const THREAD_EXISTS = 160004;
/** Discord's thread names: 1–100 characters. */
const THREAD_NAME_MAX = 100;
/** Messages whose channel is remembered for edits: live messages are edited within minutes of their post. */
const PLACED_MAX = 10_000;

export function isDiscordChannel(channel: string): boolean {
  return channel.startsWith(DISCORD_CHANNEL_PREFIX);
}

function channelId(channel: string): string {
  const id = channel.slice(DISCORD_CHANNEL_PREFIX.length);
  if (!isDiscordChannel(channel) || !/^\d{1,25}$/.test(id)) {
    throw new ClawopsError("bad_request", `Not a Discord channel: ${channel.slice(0, 60)}`);
  }
  return id;
}

export interface DiscordChatOptions extends DiscordClientOptions {
  applicationId: string;
}

export class DiscordChat implements ChatPort {
  readonly client: DiscordClient;
  /** Threads known to exist (started here, or found started): starting one is a call per thread, not per reply. */
  private readonly threads = new Set<string>();
  /**
   * Where each message this port posted lives (a thread's replies live in the thread's own
   * channel): the core edits by channel and id, without the thread. Bounded; an edit of a message
   * not here goes to the channel named.
   */
  private readonly placed = new Map<string, string>();

  constructor(opts: DiscordChatOptions) {
    this.client = new DiscordClient(opts);
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    const target = m.threadTs ? await this.thread(channelId(m.channel), m.threadTs, m.text) : channelId(m.channel);
    const posted = await this.client.json("POST", `/channels/${target}/messages`, toDiscord(m));
    if (typeof posted.id !== "string")
      throw new ClawopsError("discord_api", "Discord answered a post without a message id");
    this.place(posted.id, target);
    return { ts: posted.id };
  }

  chatName(): string {
    return "Discord";
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    // A reply lives in its thread's channel; a thread's parent message in the channel.
    const where = this.placed.get(m.ts) ?? (m.threadTs && m.threadTs !== m.ts ? m.threadTs : channelId(m.channel));
    await this.client.json("PATCH", `/channels/${where}/messages/${m.ts}`, toDiscord(m));
  }

  /** A message with the file attached, in the thread. https://discord.com/developers/docs/reference#uploading-files */
  async uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    const thread = await this.thread(channelId(file.channel), file.threadTs, file.title);
    const form = new FormData();
    const body = {
      ...toDiscord({ text: file.initialComment, parts: [] }),
      attachments: [{ id: 0, filename: file.filename, description: file.title.slice(0, 1024) }],
    };
    form.append("payload_json", JSON.stringify(body));
    form.append("files[0]", new Blob([file.bytes as Uint8Array<ArrayBuffer>]), file.filename);
    const posted = await this.client.multipart(`/channels/${thread}/messages`, form);
    const attachments = Array.isArray(posted.attachments) ? (posted.attachments as { id?: unknown }[]) : [];
    const id = attachments[0]?.id;
    return { fileId: typeof id === "string" ? id : String(posted.id ?? "") };
  }

  /**
   * Only the person who ran the command sees it: a follow-up on the interaction's webhook
   * (`responseUrl` is `{api}/webhooks/{application id}/{token}`, envelope.ts), flagged EPHEMERAL (64).
   * https://discord.com/developers/docs/interactions/receiving-and-responding#create-followup-message
   */
  async respondEphemeral(responseUrl: string, message: Message): Promise<void> {
    await this.client.json("POST", this.webhookPath(responseUrl), { ...toDiscord(message), flags: 64 });
  }

  /** Replaces the interaction's first answer (the deferred "thinking…"). */
  async editOriginal(responseUrl: string, message: Message): Promise<void> {
    await this.client.json("PATCH", `${this.webhookPath(responseUrl)}/messages/@original`, toDiscord(message));
  }

  /** Whether a reply address is one of this chat's interaction webhooks. */
  owns(responseUrl: string): boolean {
    return responseUrl.startsWith(`${this.client.apiUrl}/webhooks/`);
  }

  private webhookPath(responseUrl: string): string {
    if (!this.owns(responseUrl)) throw new ClawopsError("bad_request", "Not a Discord interaction webhook.");
    return responseUrl.slice(this.client.apiUrl.length);
  }

  private place(message: string, channel: string): void {
    if (this.placed.size >= PLACED_MAX) {
      const oldest = this.placed.keys().next().value;
      if (oldest !== undefined) this.placed.delete(oldest);
    }
    this.placed.set(message, channel);
  }

  /** The thread started from `parent`, started now if need be; its id is the parent's. */
  private async thread(channel: string, parent: string, name: string): Promise<string> {
    if (this.threads.has(parent)) return parent;
    try {
      await this.client.json("POST", `/channels/${channel}/messages/${parent}/threads`, {
        name: threadName(name),
        auto_archive_duration: 1440,
      });
    } catch (err) {
      // Started before (another process, or a restart since): the thread is there to post in.
      if (!(err instanceof DiscordCallError && err.discordCode === THREAD_EXISTS)) throw err;
    }
    this.threads.add(parent);
    return parent;
  }
}

function threadName(text: string): string {
  const line = text.split("\n")[0]?.trim() || "clawops";
  return line.length <= THREAD_NAME_MAX ? line : `${line.slice(0, THREAD_NAME_MAX - 1)}…`;
}
