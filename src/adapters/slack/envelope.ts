import { z } from "zod";
import { PRESS_BY_ACTION } from "../../core/confirmations/confirm.ts";
import { ClawopsError } from "../../core/errors.ts";
import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import type { Message } from "../../core/messages/model.ts";
import type { ButtonPress } from "../../core/recover/press.ts";
import type { CommandRequest } from "../../core/requests/types.ts";
import type { Interaction } from "../../core/router/handle.ts";
import type { CommandPress } from "../../core/router/press.ts";
import { toBlockKit } from "./render.ts";

/**
 * Slack envelopes into the core's requests, one converter for both ways in: the HTTP routes
 * (form-encoded, signed) and Socket Mode (JSON over the app-token socket). So a command
 * behaves the same whichever way it arrived: same idempotency key, same workspace.
 */

/** The fields of a slash command the core uses. https://api.slack.com/interactivity/slash-commands */
export interface SlashCommandFields {
  text?: string | null;
  user_id?: string | null;
  channel_id?: string | null;
  trigger_id?: string | null;
  team_id?: string | null;
  response_url?: string | null;
}

/** A slash command as the core's request; `bad_request` when Slack's required fields are missing. */
export function commandFromSlash(fields: SlashCommandFields): CommandRequest {
  const { user_id: user, channel_id: channel, trigger_id: triggerId } = fields;
  if (!user || !channel || !triggerId) {
    throw new ClawopsError("bad_request", "Slash command payload lacks user_id, channel_id or trigger_id.");
  }
  const team = fields.team_id ?? "";
  return {
    text: slashText(fields.text ?? ""),
    user,
    channel,
    // A retry (X-Slack-Retry-Num, or a Socket Mode redelivery) carries the same trigger_id,
    // which the job store treats as an idempotency key: the retry is acked and starts nothing.
    requestKey: `slack:${team}:${triggerId}`,
    source: "slack",
    // The workspace selects per-workspace settings (tickets), on HTTP and Socket Mode alike.
    ...(team ? { workspace: team } : {}),
    // Where the asker is told, ephemerally, when the bot cannot post in the channel.
    ...(fields.response_url ? { responseUrl: fields.response_url } : {}),
  };
}

/**
 * A command's text as a person typed it. The manifests ask Slack to escape entities
 * (`should_escape: true`), so a mentioned user arrives as an id a role can name; Slack then also
 * wraps channels, links and user groups. Those read back as typed (`#support`, the URL,
 * `@oncall`), so a title or a reason shows them as words; a user keeps the `<@U…>` form, which the
 * parser takes and every surface shows as a mention.
 * https://api.slack.com/interactivity/slash-commands#creating_commands (escape channels, users, and links)
 */
export function slashText(raw: string): string {
  return raw
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(/<@([UW][A-Z0-9]+)\|[^>]*>/g, "<@$1>")
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => name || `@${id}`)
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>/g, "$1");
}

/** A form-encoded slash command body (HTTP). */
export function commandFromSlashForm(form: URLSearchParams): CommandRequest {
  return commandFromSlash({
    text: form.get("text"),
    user_id: form.get("user_id"),
    channel_id: form.get("channel_id"),
    trigger_id: form.get("trigger_id"),
    team_id: form.get("team_id"),
    response_url: form.get("response_url"),
  });
}

/** Slack's block_actions payload, just the fields used. https://api.slack.com/reference/interaction-payloads/block-actions */
export const BlockActionsPayload = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  team: z.object({ id: z.string() }).nullish(),
  trigger_id: z.string().max(200).optional(),
  response_url: z.string().max(500).optional(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(200).optional() })).min(1),
});

/**
 * A press on a command button (commands/buttons.ts) as the presser's command; null for any
 * other interaction. The value is checked by the core (handleCommandPress), not here. The
 * press's identity is its trigger_id: a replayed signed press is acked and runs nothing.
 */
export function commandPressFromInteraction(payload: unknown): CommandPress | null {
  const parsed = BlockActionsPayload.safeParse(payload);
  if (!parsed.success) return null;
  const p = parsed.data;
  const action = p.actions.find((a) => a.action_id.startsWith(RUN_ACTION_PREFIX));
  const channel = p.channel?.id;
  if (!action || !channel || !p.trigger_id) return null;
  const team = p.team?.id ?? "";
  return {
    actionId: action.action_id,
    value: action.value,
    user: p.user.id,
    channel,
    source: "slack",
    requestKey: `slack:${team}:${p.trigger_id}`,
    ...(team ? { workspace: team } : {}),
    ...(p.response_url ? { responseUrl: p.response_url } : {}),
  };
}

/** A clawops button press from an interaction payload; null for anything else (acked, ignored). */
export function pressFromInteraction(payload: unknown): ButtonPress | null {
  const parsed = BlockActionsPayload.safeParse(payload);
  if (!parsed.success) return null;
  const action = parsed.data.actions.find((a) => PRESS_BY_ACTION[a.action_id] !== undefined);
  const decision = action ? PRESS_BY_ACTION[action.action_id] : undefined;
  if (!action?.value || !decision) return null;
  return {
    confirmationId: action.value,
    decision,
    actor: { user: parsed.data.user.id, channel: parsed.data.channel?.id ?? "", source: "slack" },
  };
}

/**
 * An interaction payload (Socket Mode's body, or the JSON in HTTP's `payload` field) as what the
 * core's router takes: a command button or a confirmation button; null for anything else
 * (acked, ignored).
 */
export function interactionFromPayload(payload: unknown): Interaction | null {
  const commandPress = commandPressFromInteraction(payload);
  if (commandPress) return { kind: "command-press", press: commandPress };
  const press = pressFromInteraction(payload);
  return press ? { kind: "approval", press } : null;
}

/** The form-encoded interaction body (HTTP): its `payload` field holds the JSON. */
export function interactionFromForm(form: URLSearchParams): Interaction | null {
  let payload: unknown;
  try {
    payload = JSON.parse(form.get("payload") ?? "null");
  } catch {
    return null;
  }
  return interactionFromPayload(payload);
}

/** A reply only the invoking user sees. */
export function ephemeral(m: Message) {
  return { response_type: "ephemeral" as const, ...toBlockKit(m) };
}
