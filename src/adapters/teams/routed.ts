import type { ChatPort } from "../../core/ports/chat.ts";
import { routedChat } from "../chat/routed.ts";
import { isTeamsChannel, type TeamsChat } from "./chat.ts";

/** Another chat (Slack, the console, Discord, Mattermost) and Teams as one port: a `teams:` channel's messages go there. */
export function withTeams(other: ChatPort | null, teams: TeamsChat): ChatPort {
  return routedChat(other, teams, isTeamsChannel);
}
