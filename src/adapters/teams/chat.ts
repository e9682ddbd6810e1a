import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage } from "../../core/ports/chat.ts";
import type { PrefixedChat } from "../chat/routed.ts";
import { BotConnectorClient, type BotConnectorOptions } from "./client.ts";
import { TEAMS_PREFIX } from "./envelope.ts";
import { ADAPTIVE_CARD, type AdaptiveCard, type TeamsActivity, toTeams } from "./render.ts";

/**
 * The chat port on Microsoft Teams (Bot Connector REST API v3). Channels are platform-qualified in
 * the core (`teams:<conversation id>`, envelope.ts); a thread is a channel post and its reply
 * chain: `threadTs` is the root post's activity id, and a reply goes to the chain's conversation
 * (`{channel};messageid={root}`) as a reply to the root (Reply to Activity). The header and the
 * progress are edited in place (Update Activity).
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-send-and-receive-messages
 *
 * Each conversation's Bot Connector address is the one its activities named (proven by their
 * token's `serviceUrl` claim: teams-routes.ts); a conversation no activity has named here (a
 * thread the watch opens, another isolate on Workers) uses TEAMS_SERVICE_URL.
 *
 * Files: a Teams bot cannot put a file in a channel without Microsoft Graph, so a bundle is not
 * attached: the thread is told its signed link is in the summary above; a short text file (the
 * postmortem draft) is posted as the message itself.
 */
const KNOWN_SERVICES_MAX = 10_000;
/** A text file posted as a message when it is this small: Teams takes about 28 KB a message. */
const INLINE_TEXT_MAX = 20_000;

export function isTeamsChannel(channel: string): boolean {
  return channel.startsWith(TEAMS_PREFIX);
}

function conversationId(channel: string): string {
  const id = channel.slice(TEAMS_PREFIX.length);
  if (!isTeamsChannel(channel) || !/^[^\s/?#]{3,400}$/.test(id)) {
    throw new ClawopsError("bad_request", `Not a Teams conversation: ${channel.slice(0, 60)}`);
  }
  return id;
}

/** A channel's conversation (`19:…@thread.tacv2`, or `@thread.skype`) has reply chains; chats do not. */
function hasReplyChains(conversation: string): boolean {
  return /^19:[^;]+@thread\.(tacv2|skype)$/.test(conversation);
}

export interface TeamsChatOptions extends BotConnectorOptions {
  /** TEAMS_SERVICE_URL: the Bot Connector for a conversation no activity has named one for. */
  serviceUrl: string;
}

export class TeamsChat implements PrefixedChat {
  readonly client: BotConnectorClient;
  private readonly defaultService: string;
  /** Each conversation's Bot Connector, from its verified activities. Bounded. */
  private readonly services = new Map<string, string>();

  constructor(opts: TeamsChatOptions) {
    this.client = new BotConnectorClient(opts);
    this.defaultService = opts.serviceUrl;
  }

  /** Remembers the Bot Connector a verified activity named for its conversation. */
  learn(conversation: string, serviceUrl: string): void {
    if (this.services.size >= KNOWN_SERVICES_MAX) this.services.clear();
    this.services.set(conversation, serviceUrl);
  }

  private serviceFor(conversation: string): string {
    return this.services.get(conversation) ?? this.defaultService;
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    return this.post(m.channel, m.threadTs, toTeams(m));
  }

  /** Update Activity: the header and the progress edited in place. */
  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    const conv = conversationId(m.channel);
    const chain = m.threadTs && m.threadTs !== m.ts && hasReplyChains(conv) ? `${conv};messageid=${m.threadTs}` : conv;
    await this.client.json(
      "PUT",
      this.serviceFor(conv),
      `/v3/conversations/${encodeURIComponent(chain)}/activities/${encodeURIComponent(m.ts)}`,
      { ...toTeams(m), id: m.ts },
    );
  }

  /** A card on its own (a confirm question) in a thread. */
  async postCard(channel: string, threadTs: string | undefined, content: AdaptiveCard): Promise<{ ts: string }> {
    return this.post(channel, threadTs, { type: "message", attachments: [{ contentType: ADAPTIVE_CARD, content }] });
  }

  private async post(channel: string, threadTs: string | undefined, activity: TeamsActivity): Promise<{ ts: string }> {
    const conv = conversationId(channel);
    const service = this.serviceFor(conv);
    const path =
      threadTs && hasReplyChains(conv)
        ? `/v3/conversations/${encodeURIComponent(`${conv};messageid=${threadTs}`)}/activities/${encodeURIComponent(threadTs)}`
        : `/v3/conversations/${encodeURIComponent(conv)}/activities`;
    const posted = await this.client.json("POST", service, path, {
      ...activity,
      ...(threadTs && hasReplyChains(conv) ? { replyToId: threadTs } : {}),
    });
    if (typeof posted.id !== "string" || !posted.id)
      throw new ClawopsError("teams_api", "Teams answered a post without an activity id");
    return { ts: posted.id };
  }

  /** No file in a channel without Graph: a text file is posted as the message, a bundle points at its signed link. */
  async uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    const { ts } = await this.postMessage({
      channel: file.channel,
      threadTs: file.threadTs,
      text: `${file.initialComment}\n\n${inlineFile(file)}`,
      parts: [],
    });
    return { fileId: `teams-message:${ts}` };
  }

  /**
   * Teams has no message only one person sees: what Slack tells the requester alone is a reply
   * to the command's own message, in the conversation it was typed in.
   */
  /** The chat's name where an incident mirror says where its buttons are (issue 43). */
  chatName(): string {
    return "Microsoft Teams";
  }

  async respondEphemeral(responseUrl: string, message: Message): Promise<void> {
    const at = this.replyAddress(responseUrl);
    if (!at) throw new ClawopsError("bad_request", "Not a Teams reply address clawops made.");
    await this.client.json("POST", at.service, at.path, { ...toTeams(message), replyToId: at.activity });
  }

  /** Whether a reply address is a Bot Connector reply (Teams' own; whether its token goes there is respondEphemeral's check). */
  owns(responseUrl: string): boolean {
    return REPLY_ADDRESS.test(responseUrl);
  }

  private replyAddress(url: string): { service: string; path: string; activity: string } | null {
    const m = REPLY_ADDRESS.exec(url);
    if (!m?.[1] || !m[2] || !m[3]) return null;
    let activity: string;
    try {
      activity = decodeURIComponent(m[3]);
    } catch {
      return null;
    }
    // The bot's token goes only to the configured Bot Connector's host, or one a verified activity named.
    const known = new Set([originOf(this.defaultService), ...[...this.services.values()].map(originOf)]);
    return known.has(originOf(m[1])) ? { service: m[1], path: m[2], activity } : null;
  }
}

/** What stands for a file in the thread: a text file's own text (clipped to fit a message), else why it is not there. */
function inlineFile(file: ChatFileUpload): string {
  if (file.filename.endsWith(".zip"))
    return "Teams bots cannot attach files in a channel: download it from the signed link in the summary above.";
  if (!/\.(md|txt)$/.test(file.filename))
    return `Teams bots cannot attach files in a channel: ${file.filename} is not posted here.`;
  const text = new TextDecoder().decode(file.bytes);
  return text.length <= INLINE_TEXT_MAX
    ? text
    : `${text.slice(0, INLINE_TEXT_MAX)}\n\n… (clipped: Teams takes about 28 KB a message)`;
}

/** `{serviceUrl}/v3/conversations/{id}/activities/{id}`, as envelope.ts's replyUrl makes it. */
const REPLY_ADDRESS = /^(https?:\/\/[^\s]+?)(\/v3\/conversations\/[^/?#]+\/activities\/([^/?#]+))$/;

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
