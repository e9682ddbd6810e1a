import { z } from "zod";
import { PRESS_BY_ACTION } from "../../core/confirmations/confirm.ts";
import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import type { CommandRequest } from "../../core/requests/types.ts";
import type { Interaction } from "../../core/router/handle.ts";

/**
 * Bot Framework activities from Teams into the core's requests. The person is
 * `teams:<Entra object id>` (the user's `aadObjectId`, the same for every bot in the tenant;
 * `teams:<29:… id>` when Teams left it out) and the place `teams:<conversation id>` without a
 * reply chain's `;messageid=…`, so the authorization file, the audit and the chat port can tell a
 * Teams id from a Slack, Discord or Mattermost one.
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#activity-object,
 * https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/channel-and-group-conversations
 */
export const TEAMS_PREFIX = "teams:";
/** The Bot Framework's channel id for Teams: the only one this endpoint takes. */
export const TEAMS_CHANNEL_ID = "msteams";

const Id = z.string().min(1).max(400);
const Account = z.object({ id: Id, name: z.string().max(400).optional(), aadObjectId: z.string().max(64).optional() });

export const TeamsActivity = z.object({
  type: z.string().max(40),
  id: Id,
  channelId: z.string().max(40),
  serviceUrl: z
    .string()
    .max(400)
    .regex(/^https?:\/\/[^\s]+$/),
  from: Account,
  recipient: Account.optional(),
  conversation: z.object({
    id: Id,
    conversationType: z.string().max(40).optional(),
    tenantId: z.string().max(64).optional(),
  }),
  text: z.string().max(28_000).optional(),
  replyToId: z.string().max(400).optional(),
  name: z.string().max(200).optional(),
  value: z.unknown().optional(),
  channelData: z
    .object({
      tenant: z.object({ id: z.string().max(64) }).optional(),
      team: z.object({ id: z.string().max(400) }).optional(),
      channel: z.object({ id: z.string().max(400) }).optional(),
    })
    .loose()
    .optional(),
});
export type TeamsActivity = z.infer<typeof TeamsActivity>;

/** A card button's data (render.ts), from an `Action.Submit` (the activity's value) or an `Action.Execute` invoke. */
const PressData = z.object({
  clawops: z.enum(["press", "ask", "dismiss"]),
  a: z.string().min(1).max(200),
  v: z.string().max(2000),
  q: z.tuple([z.string().max(300), z.string().max(3000), z.string().max(100), z.string().max(100)]).optional(),
});
export type PressData = z.infer<typeof PressData>;

/** The conversation the core knows: a channel's reply chain is its channel (`19:…@thread.tacv2`), other conversations as they are. */
export function baseConversation(a: TeamsActivity): string {
  return a.conversation.id.replace(/;messageid=\d+$/, "");
}

/** The reply chain's root post (a channel conversation's `;messageid=…`), if the activity is in one. */
export function threadOf(a: TeamsActivity): string | undefined {
  return /;messageid=(\d+)$/.exec(a.conversation.id)?.[1];
}

export function whoAndWhere(a: TeamsActivity): { user: string; channel: string } {
  return {
    user: `${TEAMS_PREFIX}${a.from.aadObjectId?.toLowerCase() ?? a.from.id}`,
    channel: `${TEAMS_PREFIX}${baseConversation(a)}`,
  };
}

/** The tenant the activity came from (channelData's, else the conversation's). */
export function tenantOf(a: TeamsActivity): string | undefined {
  return (a.channelData?.tenant?.id ?? a.conversation.tenantId)?.toLowerCase();
}

/** Where a reply to this activity goes (Bot Connector's Reply to Activity); the chat's reply address for the command. */
export function replyUrl(a: TeamsActivity): string {
  return `${a.serviceUrl.replace(/\/+$/, "")}/v3/conversations/${encodeURIComponent(a.conversation.id)}/activities/${encodeURIComponent(a.id)}`;
}

/**
 * The command's text: the bot's `<at>…</at>` mention taken out (a message in a channel reaches
 * the bot only when it mentions it), then the command's own name if typed (`openclaw triage …`,
 * `/openclaw triage …`). Teams sends the text HTML-escaped where it had to (`&amp;`, `&nbsp;`).
 */
export function commandText(text: string, commandName: string): string {
  const name = commandName.replace(/^\//, "");
  const plain = text
    .replace(/<at>[^<]{0,200}<\/at>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .trim();
  const m = new RegExp(`^/?${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:\\s+|$)`, "i").exec(plain);
  return (m ? plain.slice(m[0].length) : plain).trim();
}

export function commandFromActivity(a: TeamsActivity, commandName: string): CommandRequest {
  const team = a.channelData?.team?.id;
  const tenant = tenantOf(a);
  return {
    text: commandText(a.text ?? "", commandName),
    ...whoAndWhere(a),
    // An activity's id is unique in its conversation: a redelivered one starts nothing twice.
    requestKey: `teams:${a.conversation.id.slice(0, 200)}:${a.id.slice(0, 100)}`,
    source: "teams",
    ...(team ? { workspace: `teams:${team}` } : tenant ? { workspace: `teams:${tenant}` } : {}),
    responseUrl: replyUrl(a),
  };
}

/** The press a card sent: an `Action.Submit` message's value, or an `Action.Execute` invoke's data; null for anything else. */
export function pressDataOf(a: TeamsActivity): PressData | null {
  const raw =
    a.type === "invoke" && a.name === "adaptiveCard/action"
      ? (a.value as { action?: { data?: unknown } } | undefined)?.action?.data
      : a.type === "message"
        ? a.value
        : undefined;
  const parsed = PressData.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** A press as the router's interaction (the same as a Slack press); null for an action clawops does not make. */
export function pressAsInteraction(a: TeamsActivity, data: PressData): Interaction | null {
  const at = whoAndWhere(a);
  const decision = PRESS_BY_ACTION[data.a];
  if (decision) {
    return { kind: "approval", press: { confirmationId: data.v, decision, actor: { ...at, source: "teams" } } };
  }
  if (!data.a.startsWith(RUN_ACTION_PREFIX)) return null;
  const team = a.channelData?.team?.id;
  return {
    kind: "command-press",
    press: {
      actionId: data.a,
      value: data.v,
      ...at,
      source: "teams",
      requestKey: `teams:${a.conversation.id.slice(0, 200)}:${a.id.slice(0, 100)}`,
      ...(team ? { workspace: `teams:${team}` } : {}),
      responseUrl: replyUrl(a),
    },
  };
}
