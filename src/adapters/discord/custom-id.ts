import type { Button } from "../../core/messages/model.ts";

/**
 * A button's Discord `custom_id`: the only thing a press reports back, at most 100 characters
 * (https://discord.com/developers/docs/interactions/message-components#custom-id). It carries
 * the same action id and value a Slack button does, so a press goes through the same checks:
 *   `{actionId}|{value}`    a button that acts when pressed;
 *   `?|{actionId}|{value}`  a button with a confirm dialog: the press asks first (Discord has no
 *                           dialog), only to the presser, with a `!|…` button that acts;
 *   `!|{actionId}|{value}`  that confirmed press.
 * Action ids are clawops' own (`clawops_run:…`, `clawops_approve…`) and hold no `|`.
 */
export const CUSTOM_ID_MAX = 100;
/** The dismiss button under a confirm question. */
export const DISMISS_ID = "clawops_dismiss";

export type PressedId =
  | { kind: "press"; actionId: string; value: string; confirmed: boolean }
  | { kind: "ask"; actionId: string; value: string }
  | { kind: "dismiss" };

/** The id a button gets; null when it cannot fit Discord's 100 characters (the button is shown disabled). */
export function customIdOf(b: Button): string | null {
  const id = `${b.confirm ? "?|" : ""}${b.actionId}|${b.value}`;
  // The confirmed form (`!|…`) must fit too.
  return (b.confirm ? id.length : id.length + 2) <= CUSTOM_ID_MAX ? id : null;
}

/** What a pressed id asks; null for an id clawops does not make. */
export function parseCustomId(id: string): PressedId | null {
  if (id === DISMISS_ID || id === `${DISMISS_ID}|`) return { kind: "dismiss" };
  const m = /^(?:([?!])\|)?([^|]+)\|(.*)$/s.exec(id);
  if (!m?.[2]) return null;
  const actionId = m[2];
  const value = m[3] ?? "";
  if (m[1] === "?") return { kind: "ask", actionId, value };
  return { kind: "press", actionId, value, confirmed: m[1] === "!" };
}
