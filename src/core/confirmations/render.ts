import { escapeMrkdwn, section } from "../messages/build.ts";
import { mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";

/** A refused button press, said in the thread (the reason names no secret). */
export function renderRefusal(user: string, reason: string): Message {
  return { text: `Refused: ${reason}`, parts: [section(`⛔ ${mention(user)}: ${escapeMrkdwn(reason)}`)] };
}

/** What a confirmation becomes once pressed: its buttons go, the decision stays. */
export function renderDecided(
  c: { step: string; host: string },
  decision: "approve" | "approve_drained" | "cancel",
  by: string,
): Message {
  const verb =
    decision === "cancel" ? "✖️ Cancelled" : `✅ Approved${decision === "approve_drained" ? " (once drained)" : ""}`;
  return {
    text: `${verb} ${c.step} on ${c.host}`,
    parts: [section(`${verb} \`${c.step}\` on *${c.host}* by ${mention(by)}.`)],
  };
}

/** A confirmation whose time ran out: its buttons go, the step it asked for is named. */
export function renderExpired(c: { step: string; host: string }): Message {
  return {
    text: `Expired: ${c.step} on ${c.host}`,
    parts: [section(`⌛ The confirmation for \`${c.step}\` on *${c.host}* expired; nothing was run.`)],
  };
}
