import { ClawopsError } from "../../core/errors.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort, NewChatChannel } from "../../core/ports/chat.ts";
import { type DiscordChat, isDiscordChannel } from "./chat.ts";

/**
 * One chat port for a control plane that speaks Slack (or the console) and Discord: a message
 * for a `discord:` channel goes to Discord, any other to the chat it had. Jobs, incidents and
 * notices keep the channel they were asked from, so a triage typed in Discord answers there,
 * whichever runtime entry (a request, a host's object) posts it.
 */
export function withDiscord(other: ChatPort | null, discord: DiscordChat): ChatPort {
  const pick = (channel: string): ChatPort => (isDiscordChannel(channel) || !other ? discord : other);
  return {
    postMessage: (m: ChatMessage) => pick(m.channel).postMessage(m),
    updateMessage: (m: ChatMessage & { ts: string }) => pick(m.channel).updateMessage(m),
    uploadFile: (f: ChatFileUpload) => {
      const chat = pick(f.channel);
      if (!chat.uploadFile) throw new Error("this chat takes no uploads");
      return chat.uploadFile(f);
    },
    respondEphemeral: async (responseUrl: string, message: Message) => {
      if (discord.owns(responseUrl)) return discord.respondEphemeral(responseUrl, message);
      if (!other?.respondEphemeral) throw new Error("this chat has no reply address");
      return other.respondEphemeral(responseUrl, message);
    },
    // Incident channels: the other chat's (Slack's), never Discord's; none when the other has none.
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
