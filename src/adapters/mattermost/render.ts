import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Button, Message } from "../../core/messages/model.ts";
import type { ActionSigner } from "./context.ts";
import { escapeMattermost, mattermostMarkdown } from "./markdown.ts";

/**
 * Neutral message → a Mattermost post body (`message` markdown, `props.attachments` holding the
 * buttons), as `POST /api/v4/posts`, `PUT /api/v4/posts/{id}/patch` and a command's response
 * take it (https://developers.mattermost.com/integrate/reference/message-attachments/,
 * …/interactive-messages/). Checked byte for byte against test/unit/golden/mattermost/.
 *
 * Each header is a `####` heading; sections are paragraphs, context lines small print in
 * italics, a divider a rule. Each row of buttons is one attachment whose `actions` post back to
 * `POST /mattermost/actions` with a signed context (context.ts). A post holds at most 16,383
 * characters (the server's `PostMessageMaxRunesV2`): a longer answer is clipped with a note,
 * never refused.
 */
export const MATTERMOST_LIMITS = { message: 16_383, label: 80 } as const;

export interface MattermostAction {
  /** Alphanumeric only: the press comes back through `/api/v4/posts/{post}/actions/{id}`, which takes no other. */
  id: string;
  name: string;
  type: "button";
  style: "default" | "primary" | "danger";
  integration: { url: string; context: Record<string, unknown> };
}

export interface MattermostPost {
  message: string;
  props: { attachments: { fallback: string; actions: MattermostAction[] }[] };
}

/** Where presses go and how their context is signed; null: the message's buttons are left out. */
export interface MattermostButtons {
  /** `{public url}/mattermost/actions`. */
  url: string;
  signer: ActionSigner;
}

const CLIPPED =
  "\n\n… (clipped: Mattermost shows at most 16,383 characters a post; the full answer is in the audit and the console)";

export async function toMattermost(m: Message, buttons: MattermostButtons | null): Promise<MattermostPost> {
  const parts = m.parts.flatMap(lowerPart);
  const body = parts.length === 0 ? mattermostMarkdown(m.text) : toMarkdown(parts);
  const message =
    body.length <= MATTERMOST_LIMITS.message
      ? body
      : `${body.slice(0, MATTERMOST_LIMITS.message - CLIPPED.length)}${CLIPPED}`;
  const rows = parts.flatMap((p) => (p.kind === "actions" ? [p.buttons] : []));
  const attachments = buttons
    ? await Promise.all(
        rows.map(async (row, r) => ({
          fallback: row.map((b) => b.label).join(" · "),
          actions: await Promise.all(row.map((b, i) => toAction(b, `clawops${r}x${i}`, buttons))),
        })),
      )
    : [];
  return { message, props: { attachments } };
}

function toMarkdown(parts: BasicPart[]): string {
  const blocks: string[] = [];
  for (const p of parts) {
    if (p.kind === "header") blocks.push(`#### ${escapeMattermost(p.text)}`);
    else if (p.kind === "section") blocks.push(mattermostMarkdown(p.text));
    else if (p.kind === "context")
      blocks.push(
        p.items
          .flatMap((t) => mattermostMarkdown(t).split("\n"))
          .map((l) => (l.trim() && !l.includes("_") && !l.startsWith("```") ? `_${l.trim()}_` : l))
          .join("  \n"),
      );
    else if (p.kind === "divider") blocks.push("---");
  }
  // A blank line between blocks: `---` right under a paragraph would make it a heading.
  return blocks.join("\n\n").trim();
}

async function toAction(b: Button, id: string, buttons: MattermostButtons): Promise<MattermostAction> {
  const context = await buttons.signer.sign({
    a: b.actionId,
    v: b.value,
    ...(b.confirm
      ? { c: 1 as const, q: [b.confirm.title, b.confirm.text, b.confirm.confirm] as [string, string, string] }
      : {}),
  });
  return {
    id,
    name: b.label.length <= MATTERMOST_LIMITS.label ? b.label : `${b.label.slice(0, MATTERMOST_LIMITS.label - 1)}…`,
    type: "button",
    style: b.style ?? "default",
    integration: { url: buttons.url, context: { ...context } },
  };
}
