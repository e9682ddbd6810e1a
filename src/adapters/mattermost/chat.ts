import { randomToken } from "../../contract/encoding.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../../core/ports/chat.ts";
import { MattermostClient, type MattermostClientOptions } from "./client.ts";
import { ActionSigner } from "./context.ts";
import { type MattermostButtons, toMattermost } from "./render.ts";

/**
 * The chat port on Mattermost (REST API v4). Channels are platform-qualified in the core
 * (`mattermost:<channel id>`, envelope.ts) so one control plane can speak Slack, Discord and
 * Mattermost; a thread is a root post and its replies (`root_id`): `threadTs` is the root post's id.
 * https://api.mattermost.com/#tag/posts
 */
export const MATTERMOST_CHANNEL_PREFIX = "mattermost:";
/** Mattermost ids: 26 characters of [a-z0-9]. */
export const MATTERMOST_ID = /^[a-z0-9]{26}$/;

export function isMattermostChannel(channel: string): boolean {
  return channel.startsWith(MATTERMOST_CHANNEL_PREFIX);
}

function channelId(channel: string): string {
  const id = channel.slice(MATTERMOST_CHANNEL_PREFIX.length);
  if (!isMattermostChannel(channel) || !MATTERMOST_ID.test(id)) {
    throw new ClawopsError("bad_request", `Not a Mattermost channel: ${channel.slice(0, 60)}`);
  }
  return id;
}

function postId(id: string): string {
  if (!MATTERMOST_ID.test(id)) throw new ClawopsError("bad_request", `Not a Mattermost post id: ${id.slice(0, 40)}`);
  return id;
}

export interface MattermostChatOptions extends MattermostClientOptions {
  /** Where button presses go: `{public url}/mattermost/actions`; read at each post (the Node start learns its URL late). */
  actionsUrl: () => string;
  signer?: ActionSigner;
}

export class MattermostChat implements ChatPort {
  readonly client: MattermostClient;
  readonly signer: ActionSigner;
  private readonly actionsUrl: () => string;

  constructor(opts: MattermostChatOptions) {
    this.client = new MattermostClient(opts);
    this.signer = opts.signer ?? new ActionSigner(opts.token);
    this.actionsUrl = opts.actionsUrl;
  }

  /** Where buttons post back; null (no buttons) while no URL for clawops is known. */
  buttons(): MattermostButtons | null {
    const url = this.actionsUrl();
    return url ? { url, signer: this.signer } : null;
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    const posted = await this.client.json("POST", "/posts", {
      channel_id: channelId(m.channel),
      ...(m.threadTs ? { root_id: postId(m.threadTs) } : {}),
      ...(await toMattermost(m, this.buttons())),
      // The server remembers this for 30 s: a retried create answers the first post (client.ts).
      pending_post_id: pendingId(),
    });
    if (typeof posted.id !== "string")
      throw new ClawopsError("mattermost_api", "Mattermost answered a post without a post id");
    return { ts: posted.id };
  }

  /** The header and progress, edited in place. https://api.mattermost.com/#tag/posts/operation/PatchPost */
  chatName(): string {
    return "Mattermost";
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    await this.client.json("PUT", `/posts/${postId(m.ts)}/patch`, await toMattermost(m, this.buttons()));
  }

  /** The file uploaded into the channel, then a reply in the thread carrying it. https://api.mattermost.com/#tag/files */
  async uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    const channel = channelId(file.channel);
    const form = new FormData();
    form.append("channel_id", channel);
    form.append("files", new Blob([file.bytes as Uint8Array<ArrayBuffer>]), file.filename);
    const uploaded = await this.client.multipart("/files", form);
    const infos = Array.isArray(uploaded.file_infos) ? (uploaded.file_infos as { id?: unknown }[]) : [];
    const fileId = infos[0]?.id;
    if (typeof fileId !== "string")
      throw new ClawopsError("mattermost_api", "Mattermost answered an upload without a file id");
    const comment = await toMattermost({ text: file.initialComment || file.title, parts: [] }, null);
    await this.client.json("POST", "/posts", {
      channel_id: channel,
      root_id: postId(file.threadTs),
      message: comment.message,
      file_ids: [fileId],
      pending_post_id: pendingId(),
    });
    return { fileId };
  }

  /**
   * Only the person who ran the command sees it: posted to the command's `response_url`
   * (`{url}/hooks/commands/{id}`, valid 30 min, 5 times) as an ephemeral response.
   * https://developers.mattermost.com/integrate/slash-commands/custom/#response-url
   */
  async respondEphemeral(responseUrl: string, message: Message): Promise<void> {
    if (!this.owns(responseUrl))
      throw new ClawopsError("bad_request", "Not this Mattermost server's command response URL.");
    const post = await toMattermost(message, this.buttons());
    await this.client.hook(responseUrl, {
      response_type: "ephemeral",
      text: post.message,
      props: post.props,
      skip_slack_parsing: true,
    });
  }

  /** Whether a reply address is one of this server's command response URLs. */
  owns(responseUrl: string): boolean {
    return responseUrl.startsWith(`${this.client.url}/hooks/commands/`);
  }

  /**
   * A confirm dialog for the user whose press made `triggerId` (Mattermost opens it only for
   * them, within 3 s). https://developers.mattermost.com/integrate/plugins/interactive-dialogs/
   */
  async openDialog(triggerId: string, dialog: Record<string, unknown>): Promise<void> {
    await this.client.json("POST", "/actions/dialogs/open", { trigger_id: triggerId, url: this.actionsUrl(), dialog });
  }
}

/** Mattermost's own clients send `{user id}:{time}`; any unique string up to its limit works. */
function pendingId(): string {
  return `clawops:${randomToken(15)}`;
}
