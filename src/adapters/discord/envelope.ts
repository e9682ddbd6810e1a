import { z } from "zod";
import { PRESS_BY_ACTION } from "../../core/confirmations/confirm.ts";
import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import type { CommandRequest } from "../../core/requests/types.ts";
import type { Interaction } from "../../core/router/handle.ts";
import { DISCORD_CHANNEL_PREFIX } from "./chat.ts";
import { type PressedId, parseCustomId } from "./custom-id.ts";

/**
 * Discord interactions into the core's requests. The person is `discord:<user id>` and the place
 * `discord:<channel id>`, so the authorization file, the audit and the chat port can tell a
 * Discord id from a Slack one (both are opaque strings; Discord's are snowflakes).
 * https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
 */
export const DISCORD_USER_PREFIX = "discord:";

const Snowflake = z.string().regex(/^\d{1,25}$/);
const User = z.object({ id: Snowflake });
const Base = z.object({
  id: Snowflake,
  application_id: Snowflake,
  token: z.string().min(1).max(500),
  channel_id: Snowflake.optional(),
  guild_id: Snowflake.optional(),
  // In a server the invoker is `member.user`; in a DM, `user`.
  member: z.object({ user: User }).optional(),
  user: User.optional(),
});

const Option = z.object({ name: z.string(), type: z.number(), value: z.unknown().optional() });

export const DiscordInteraction = z.discriminatedUnion("type", [
  z.object({ type: z.literal(1) }).loose(),
  Base.extend({
    type: z.literal(2),
    data: z.object({ name: z.string().max(32), options: z.array(Option).max(25).optional() }),
  }),
  Base.extend({
    type: z.literal(3),
    data: z.object({ custom_id: z.string().max(100), component_type: z.number() }),
    message: z.object({ id: Snowflake }).loose().optional(),
  }),
  Base.extend({
    type: z.literal(4),
    data: z.object({ name: z.string().max(32), options: z.array(Option).max(25).optional() }),
  }),
]);
export type DiscordInteraction = z.infer<typeof DiscordInteraction>;
type Invoked = Exclude<DiscordInteraction, { type: 1 }>;

/** Who invoked it and where; null when Discord left either out (a malformed interaction). */
function whoAndWhere(i: Invoked): { user: string; channel: string } | null {
  const user = i.member?.user.id ?? i.user?.id;
  if (!user || !i.channel_id) return null;
  return { user: `${DISCORD_USER_PREFIX}${user}`, channel: `${DISCORD_CHANNEL_PREFIX}${i.channel_id}` };
}

/** The interaction's webhook, where its answer is edited and follow-ups go (15 min). */
export function webhookUrl(apiUrl: string, i: Invoked): string {
  return `${apiUrl}/webhooks/${i.application_id}/${i.token}`;
}

/** The command's text: the `text` option, as a slash command's text on Slack. */
export function commandText(i: Extract<DiscordInteraction, { type: 2 | 4 }>): string {
  const text = i.data.options?.find((o) => o.name === "text")?.value;
  return typeof text === "string" ? text : "";
}

/** An application command as the core's request; null when Discord left out who or where. */
export function commandFromInteraction(
  i: Extract<DiscordInteraction, { type: 2 }>,
  apiUrl: string,
): CommandRequest | null {
  const at = whoAndWhere(i);
  if (!at) return null;
  return {
    text: commandText(i),
    ...at,
    // Discord's interaction id is unique per invocation: a redelivered one starts nothing twice.
    requestKey: `discord:${i.id}`,
    source: "discord",
    ...(i.guild_id ? { workspace: `discord:${i.guild_id}` } : {}),
    responseUrl: webhookUrl(apiUrl, i),
  };
}

/** A press as the router's interaction (the same as a Slack press); null for an id clawops does not make. */
export function pressFromInteraction(
  i: Extract<DiscordInteraction, { type: 3 }>,
  pressed: Extract<PressedId, { kind: "press" }>,
  apiUrl: string,
): Interaction | null {
  const at = whoAndWhere(i);
  if (!at) return null;
  const decision = PRESS_BY_ACTION[pressed.actionId];
  if (decision) {
    return {
      kind: "approval",
      press: { confirmationId: pressed.value, decision, actor: { ...at, source: "discord" } },
    };
  }
  if (!pressed.actionId.startsWith(RUN_ACTION_PREFIX)) return null;
  return {
    kind: "command-press",
    press: {
      actionId: pressed.actionId,
      value: pressed.value,
      ...at,
      source: "discord",
      requestKey: `discord:${i.id}`,
      ...(i.guild_id ? { workspace: `discord:${i.guild_id}` } : {}),
      responseUrl: webhookUrl(apiUrl, i),
    },
  };
}

export { parseCustomId };
