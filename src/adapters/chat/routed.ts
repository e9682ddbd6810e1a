import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort, NewChatChannel } from "../../core/ports/chat.ts";

/** A chat that owns a channel prefix (`discord:`, `mattermost:`) and the reply addresses it handed out. */
export interface PrefixedChat extends ChatPort {
  respondEphemeral(responseUrl: string, message: Message): Promise<void>;
  /** Whether a command's reply address is this chat's own. */
  owns(responseUrl: string): boolean;
}

/**
 * One chat port for a control plane that speaks a prefixed chat beside another (Slack, the
 * console, a chat routed the same way): a message for a channel `mine` accepts goes to `chat`,
 * any other to the chat it had. Jobs, incidents and notices keep the channel they were asked
 * from, so a triage typed in Discord or Mattermost answers there, whichever runtime entry (a
 * request, a host's object) posts it. Every optional capability is routed the same way.
 */
export function routedChat(other: ChatPort | null, chat: PrefixedChat, mine: (channel: string) => boolean): ChatPort {
  const pick = (channel: string): ChatPort => (mine(channel) || !other ? chat : other);
  return {
    postMessage: (m: ChatMessage) => pick(m.channel).postMessage(m),
    updateMessage: (m: ChatMessage & { ts: string }) => pick(m.channel).updateMessage(m),
    uploadFile: (f: ChatFileUpload) => {
      const to = pick(f.channel);
      if (!to.uploadFile) throw new Error("this chat takes no uploads");
      return to.uploadFile(f);
    },
    permalink: async (channel: string, ts: string) => {
      const to = pick(channel);
      if (!to.permalink) throw new Error("this chat gives no links to its messages");
      return to.permalink(channel, ts);
    },
    // Which chat a channel is on, for people (an incident mirror's "Buttons and approvals" line).
    chatName: (channel: string) => pick(channel).chatName?.(channel),
    respondEphemeral: async (responseUrl: string, message: Message) => {
      if (chat.owns(responseUrl)) return chat.respondEphemeral(responseUrl, message);
      if (!other?.respondEphemeral) throw new Error("this chat has no reply address");
      return other.respondEphemeral(responseUrl, message);
    },
    // Incident channels: the other chat's (Slack's) where it makes them; none when it does not.
    ...(other?.createChannel
      ? {
          createChannel: async (c: NewChatChannel) => channelsOf(pick(c.beside)).createChannel(c),
          inviteToChannel: async (channel: string, users: readonly string[]) =>
            channelsOf(pick(channel)).inviteToChannel(channel, users),
          archiveChannel: async (channel: string) => channelsOf(pick(channel)).archiveChannel(channel),
        }
      : {}),
  };
}

type ChannelChat = Required<Pick<ChatPort, "createChannel" | "inviteToChannel" | "archiveChannel">>;

/** The chat's channel methods, or `channels_unsupported` for a chat that makes none (Discord, Mattermost). */
function channelsOf(chat: ChatPort): ChannelChat {
  const { createChannel, inviteToChannel, archiveChannel } = chat;
  if (!createChannel || !inviteToChannel || !archiveChannel) {
    throw new ClawopsError(
      "channels_unsupported",
      "This chat cannot create channels: incident channels are made in Slack only; this incident stays in its thread.",
      { status: 501 },
    );
  }
  return {
    createChannel: createChannel.bind(chat),
    inviteToChannel: inviteToChannel.bind(chat),
    archiveChannel: archiveChannel.bind(chat),
  };
}
