import type { Message } from "../../core/messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../../core/ports/chat.ts";
import { isMattermostChannel, type MattermostChat } from "./chat.ts";

/**
 * One chat port for a control plane that speaks Mattermost beside another chat (Slack, the
 * console, Discord): a message for a `mattermost:` channel goes to Mattermost, any other to the
 * chat it had, as adapters/discord/routed.ts does for Discord. Jobs, incidents and notices keep
 * the channel they were asked from, so a triage typed in Mattermost answers there.
 */
export function withMattermost(other: ChatPort | null, mattermost: MattermostChat): ChatPort {
  const pick = (channel: string): ChatPort => (isMattermostChannel(channel) || !other ? mattermost : other);
  return {
    postMessage: (m: ChatMessage) => pick(m.channel).postMessage(m),
    updateMessage: (m: ChatMessage & { ts: string }) => pick(m.channel).updateMessage(m),
    uploadFile: (f: ChatFileUpload) => {
      const chat = pick(f.channel);
      if (!chat.uploadFile) throw new Error("this chat takes no uploads");
      return chat.uploadFile(f);
    },
    respondEphemeral: async (responseUrl: string, message: Message) => {
      if (mattermost.owns(responseUrl)) return mattermost.respondEphemeral(responseUrl, message);
      if (!other?.respondEphemeral) throw new Error("this chat has no reply address");
      return other.respondEphemeral(responseUrl, message);
    },
  };
}
