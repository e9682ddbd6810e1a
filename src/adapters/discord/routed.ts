import type { ChatPort } from "../../core/ports/chat.ts";
import { routedChat } from "../chat/routed.ts";
import { type DiscordChat, isDiscordChannel } from "./chat.ts";

/** Slack (or the console) and Discord as one chat port: a `discord:` channel's messages go to Discord. */
export function withDiscord(other: ChatPort | null, discord: DiscordChat): ChatPort {
  return routedChat(other, discord, isDiscordChannel);
}
