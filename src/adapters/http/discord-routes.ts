import { InteractionResponseFlags, InteractionResponseType } from "discord-interactions";
import { Hono } from "hono";
import { ClawopsError } from "../../core/errors.ts";
import { renderError, renderNotice } from "../../core/messages/notices.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import type { Interaction } from "../../core/router/handle.ts";
import { hostChoices } from "../discord/autocomplete.ts";
import type { DiscordChat } from "../discord/chat.ts";
import { DISMISS_ID } from "../discord/custom-id.ts";
import {
  commandFromInteraction,
  commandText,
  DiscordInteraction,
  parseCustomId,
  pressFromInteraction,
} from "../discord/envelope.ts";
import { toDiscord } from "../discord/render.ts";
import { checkDiscordHeaders, verifyDiscordRequest } from "../discord/verify.ts";
import { handleForSlack } from "../slack/answer.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

export interface DiscordRouteOptions {
  /** DISCORD_PUBLIC_KEY, hex. */
  publicKey: string;
  /** The chat the interaction's answers go through (its webhook edits and follow-ups). */
  chat: DiscordChat;
  /** The command's name as registered (`openclaw`, or CLAWOPS_COMMAND without its slash). */
  commandName: string;
}

const EPHEMERAL = InteractionResponseFlags.EPHEMERAL;

/**
 * Discord's interactions endpoint (`POST /discord/interactions`). Each request proves it is
 * Discord's before any work: headers first (both present, timestamp within five minutes), then
 * the body, capped, then its Ed25519 signature over the exact bytes; only then is it parsed.
 * Discord wants an answer within 3 s, so a command or a press is answered "deferred" (type 5,
 * only to the person) at once and does its work after the response: the answer edits that
 * deferred message through the interaction's webhook, then the slow half (a triage's thread) runs.
 * https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
 */
export function discordRoutes(deps: CoreDeps, opts: DiscordRouteOptions, later: LaterAfterAck) {
  const app = new Hono();
  const nowSeconds = () => Math.floor(deps.clock.now() / 1000);
  const apiUrl = opts.chat.client.apiUrl;

  app.post(
    "/interactions",
    async (c, next) => {
      checkDiscordHeaders({
        signature: c.req.header("x-signature-ed25519"),
        timestamp: c.req.header("x-signature-timestamp"),
        nowSeconds: nowSeconds(),
      });
      await next();
    },
    capBody(BODY_LIMITS.discordInteraction),
    async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      await verifyDiscordRequest({
        publicKey: opts.publicKey,
        body,
        signature: c.req.header("x-signature-ed25519"),
        timestamp: c.req.header("x-signature-timestamp"),
        nowSeconds: nowSeconds(),
      });
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new ClawopsError("bad_payload", "The interaction body is not JSON.");
      }
      const parsed = DiscordInteraction.safeParse(json);
      if (!parsed.success) throw new ClawopsError("bad_payload", "Not an interaction clawops handles.");
      const i = parsed.data;
      if (i.type === 1) return c.json({ type: InteractionResponseType.PONG });

      const tell = (message: Parameters<typeof toDiscord>[0]) =>
        c.json({
          type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
          data: { ...toDiscord(message), flags: EPHEMERAL },
        });

      if (i.type === 4) {
        // Host names as the person types the `text` option (Discord waits 3 s for these, no deferring).
        const choices = await hostChoices(deps.store, commandText(i));
        return c.json({ type: InteractionResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, data: { choices } });
      }

      let interaction: Interaction | null;
      if (i.type === 2) {
        if (i.data.name !== opts.commandName) {
          return tell(
            renderError(`clawops answers \`/${opts.commandName}\`, not \`/${i.data.name}\`.`, "unknown_command"),
          );
        }
        const request = commandFromInteraction(i, apiUrl);
        interaction = request ? { kind: "command", request } : null;
      } else {
        const pressed = parseCustomId(i.data.custom_id);
        if (pressed?.kind === "dismiss") {
          return c.json({
            type: InteractionResponseType.UPDATE_MESSAGE,
            data: { ...toDiscord(renderNotice("Nothing was done.")), components: [] },
          });
        }
        if (pressed?.kind === "ask")
          return tell(confirmQuestion(pressed.actionId, pressed.value, labelOf(i.message, i.data.custom_id)));
        interaction = pressed ? pressFromInteraction(i, pressed, apiUrl) : null;
        // Not one of clawops' buttons: the core audits command buttons it refuses; anything else is told.
        if (!interaction)
          return tell(renderError("This button is not one clawops makes; nothing was run.", "bad_request"));
      }
      if (!interaction) throw new ClawopsError("bad_payload", "The interaction lacks its user or channel.");

      const webhook = `${apiUrl}/webhooks/${i.application_id}/${i.token}`;
      const asked = interaction;
      later({ later: () => answerLater(deps, opts.chat, asked, webhook) }, c);
      // A command's answer replaces a "thinking…" only the person sees; a press's comes as a
      // follow-up only the presser sees (the message the button sits on stays as it is).
      return c.json(
        asked.kind === "command"
          ? { type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: EPHEMERAL } }
          : { type: InteractionResponseType.DEFERRED_UPDATE_MESSAGE },
      );
    },
  );
  return app;
}

/**
 * The work after the deferred answer: the router (the same as Slack's, refusals and audit
 * included), the answer to the person, then the slow half (a triage in its thread).
 */
async function answerLater(deps: CoreDeps, chat: DiscordChat, asked: Interaction, webhook: string): Promise<void> {
  const handled = await handleForSlack(deps, asked, "discord");
  if (asked.kind === "command") await chat.editOriginal(webhook, handled.ack);
  // A command press's answer goes through its responseUrl inside `later` (core/router/press.ts).
  else if (asked.kind === "approval") await chat.respondEphemeral(webhook, handled.ack);
  if (handled.later) await handled.later();
}

/** The label of the pressed button, from the message it sits on (the press carries only its id). */
function labelOf(message: Record<string, unknown> | undefined, customId: string): string {
  const rows = Array.isArray(message?.components) ? (message.components as { components?: unknown[] }[]) : [];
  for (const row of rows)
    for (const b of row.components ?? []) {
      const button = b as { custom_id?: unknown; label?: unknown };
      if (button.custom_id === customId && typeof button.label === "string") return button.label.slice(0, 80);
    }
  return "Confirm";
}

/**
 * Discord buttons have no confirm dialog, so a button Slack shows one for asks first, only to the
 * presser: what it will do, a button that does it (`!|…`) and one that does nothing.
 */
function confirmQuestion(actionId: string, value: string, label: string) {
  const what = actionId.startsWith("clawops_run:")
    ? `It runs \`${value}\` as you.`
    : "It records your decision on this confirmation, as you.";
  return {
    text: `${label}?`,
    parts: [
      { kind: "section" as const, text: `*${label}?* ${what}` },
      {
        kind: "actions" as const,
        id: "clawops_discord_confirm",
        buttons: [
          { actionId: `!|${actionId}`, label, value, style: "danger" as const },
          { actionId: DISMISS_ID, label: "Cancel", value: "" },
        ],
      },
    ],
  };
}
