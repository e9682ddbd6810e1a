import type { ChatPort } from "../../core/ports/chat.ts";
import { routedChat } from "../chat/routed.ts";
import { isMattermostChannel, type MattermostChat } from "./chat.ts";

/** Another chat (Slack, the console, Discord) and Mattermost as one port: a `mattermost:` channel's messages go there. */
export function withMattermost(other: ChatPort | null, mattermost: MattermostChat): ChatPort {
  return routedChat(other, mattermost, isMattermostChannel);
}
