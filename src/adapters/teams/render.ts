import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Button, Message } from "../../core/messages/model.ts";
import { discordMarkdown } from "../discord/markdown.ts";

/**
 * Neutral message → a Bot Connector v3 activity: a message with parts is one Adaptive Card
 * (https://adaptivecards.io/explorer/, version 1.4, as Teams renders it), a message without parts
 * is markdown text. Checked byte for byte against test/unit/golden/teams/*.golden.json.
 *
 * Each header is a large bold TextBlock; sections are wrapped TextBlocks in the markdown subset
 * Teams' cards read (`**bold**`, `[label](url)`; code blocks as monospace TextBlocks), context
 * lines small and subtle, a divider a separator above what follows, and each row of buttons an
 * ActionSet of `Action.Submit` whose data is the press (`{clawops: kind, a: action id, v: value}`,
 * teams/envelope.ts). Teams takes about 28 KB a message; a longer card is clipped with a note,
 * never refused. https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages
 */
export const TEAMS_LIMITS = { cardText: 20_000, title: 200, label: 60 } as const;
export const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

/** What a pressed `Action.Submit` sends back as the activity's `value`. */
export interface TeamsPressData {
  /** `press`: act; `ask`: ask first (the button had Slack's confirm); `dismiss`: the question's No. */
  clawops: "press" | "ask" | "dismiss";
  a: string;
  v: string;
  /** On `ask`: the confirm's title, text (rich text), confirm and deny labels, as Slack's dialog shows them. */
  q?: [string, string, string, string];
}

export type CardElement = Record<string, unknown>;

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  version: "1.4";
  msteams: { width: "Full" };
  body: CardElement[];
}

export interface TeamsActivity {
  type: "message";
  text?: string;
  textFormat?: "markdown";
  summary?: string;
  attachments?: { contentType: typeof ADAPTIVE_CARD; content: AdaptiveCard }[];
}

const CLIPPED = "… (clipped: Teams takes about 28 KB a message; the full answer is in the audit and the console)";

export function toTeams(m: Message): TeamsActivity {
  const parts = m.parts.flatMap(lowerPart);
  if (parts.length === 0) return { type: "message", textFormat: "markdown", text: teamsMarkdown(m.text) };
  return {
    type: "message",
    ...(m.text ? { summary: m.text.slice(0, 200) } : {}),
    attachments: [{ contentType: ADAPTIVE_CARD, content: card(toBody(parts)) }],
  };
}

/** A card of these elements, as every clawops card is framed. */
export function card(body: CardElement[]): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.4",
    msteams: { width: "Full" },
    body,
  };
}

function toBody(parts: BasicPart[]): CardElement[] {
  const body: CardElement[] = [];
  let separate = false;
  let used = 0;
  const push = (e: CardElement) => {
    body.push(separate ? { ...e, separator: true } : e);
    separate = false;
  };
  for (const p of parts) {
    if (used > TEAMS_LIMITS.cardText) {
      body.push(text(CLIPPED, { size: "Small", isSubtle: true }));
      break;
    }
    if (p.kind === "header") {
      const t = clip(p.text, TEAMS_LIMITS.title);
      used += t.length;
      push(text(t, { size: "Large", weight: "Bolder" }));
    } else if (p.kind === "section") {
      for (const piece of pieces(p.text)) {
        used += piece.text.length;
        push(piece.code ? text(piece.text, { fontType: "Monospace" }) : text(paragraphs(teamsMarkdown(piece.text))));
      }
    } else if (p.kind === "context") {
      const t = p.items.map((i) => paragraphs(teamsMarkdown(i))).join("\n\n");
      used += t.length;
      push(text(t, { size: "Small", isSubtle: true, spacing: "Small" }));
    } else if (p.kind === "divider") {
      separate = true;
    } else {
      push({ type: "ActionSet", actions: p.buttons.map(toAction) });
    }
  }
  return body;
}

function text(t: string, style: Record<string, string | boolean> = {}): CardElement {
  return { type: "TextBlock", text: t, wrap: true, ...style };
}

/** Prose and fenced code blocks apart: a card's markdown has no code, so a block is its own monospace TextBlock. */
function pieces(t: string): { text: string; code: boolean }[] {
  return t
    .split(/```\n?([\s\S]*?)\n?```/)
    .map((piece, i) => ({ text: i % 2 === 1 ? unescapeMrkdwn(piece) : piece.trim(), code: i % 2 === 1 }))
    .filter((piece) => piece.text.length > 0);
}

function toAction(b: Button): CardElement {
  const data: TeamsPressData = b.confirm
    ? {
        clawops: "ask",
        a: b.actionId,
        v: b.value,
        q: [b.confirm.title, b.confirm.text, b.confirm.confirm, b.confirm.deny],
      }
    : { clawops: "press", a: b.actionId, v: b.value };
  return {
    type: "Action.Submit",
    title: clip(b.label, TEAMS_LIMITS.label),
    ...(b.style ? { style: b.style === "primary" ? "positive" : "destructive" } : {}),
    data,
  };
}

/** The question a button with a confirm asks before it acts (Teams' cards have no dialog). */
export function confirmCard(q: readonly [string, string, string, string], a: string, v: string): AdaptiveCard {
  const [title, question, confirm, deny] = q;
  const yes: TeamsPressData = { clawops: "press", a, v };
  const no: TeamsPressData = { clawops: "dismiss", a, v };
  return card([
    text(clip(title, TEAMS_LIMITS.title), { weight: "Bolder" }),
    text(teamsMarkdown(question)),
    {
      type: "ActionSet",
      actions: [
        { type: "Action.Submit", title: clip(confirm, TEAMS_LIMITS.label), style: "positive", data: yes },
        { type: "Action.Submit", title: clip(deny, TEAMS_LIMITS.label), data: no },
      ],
    },
  ]);
}

/**
 * clawops' rich text (Slack's mrkdwn subset) as the markdown Teams reads: Discord's conversion
 * (`**bold**`, `[label](url)`), less its `<@id>` mentions (a Teams mention needs the user's
 * name and an entity, which clawops does not have from an id).
 */
export function teamsMarkdown(t: string): string {
  return discordMarkdown(t.replace(/\*discord:(\d{5,25})\*/g, "*discord user $1*"));
}

/** A card's markdown joins lines a single newline separates; each line is kept as its own paragraph. */
function paragraphs(t: string): string {
  return t.replace(/\n+/g, "\n\n");
}

function unescapeMrkdwn(t: string): string {
  return t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function clip(t: string, max: number): string {
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}
