import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../../core/ports/chat.ts";
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
    permalink: async (channel: string, ts: string) => {
      const chat = pick(channel);
      if (!chat.permalink) throw new Error("this chat gives no links to its messages");
      return chat.permalink(channel, ts);
    },
    respondEphemeral: async (responseUrl: string, message: Message) => {
      if (discord.owns(responseUrl)) return discord.respondEphemeral(responseUrl, message);
      if (!other?.respondEphemeral) throw new Error("this chat has no reply address");
      return other.respondEphemeral(responseUrl, message);
    },
  };
}
