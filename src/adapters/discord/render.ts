import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Button, Message } from "../../core/messages/model.ts";
import { customIdOf } from "./custom-id.ts";
import { discordMarkdown, escapeDiscord } from "./markdown.ts";

/**
 * Neutral message → a Discord message body (content, embeds, components), as
 * `POST /channels/{id}/messages`, `PATCH …/messages/{id}` and interaction webhooks take it
 * (https://discord.com/developers/docs/resources/message#create-message). Checked byte for byte
 * against test/unit/golden/discord/*.golden.json.
 *
 * Each header opens an embed (its title); sections, context lines (Discord's `-#` small print)
 * and dividers fill its description. Discord's limits, which a Slack-sized answer (50 blocks of
 * 3,000 characters) can pass, are kept by clipping with a note, never by a refused post:
 * 4,096 characters a description, 256 a title, 10 embeds and 6,000 embed characters a
 * message, 5 rows of 5 buttons, 80 characters a label.
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  embeds: 10,
  embedTotal: 6000,
  rows: 5,
  buttonsPerRow: 5,
  label: 80,
} as const;

export interface DiscordEmbed {
  title?: string;
  description?: string;
}

export interface DiscordButton {
  type: 2;
  style: 1 | 2 | 4;
  label: string;
  custom_id: string;
  disabled?: true;
}

export interface DiscordMessage {
  content: string;
  embeds: DiscordEmbed[];
  components: { type: 1; components: DiscordButton[] }[];
  /** Nobody is pinged by what clawops posts: names show, nobody is notified by them. */
  allowed_mentions: { parse: [] };
}

const CLIPPED =
  "\n… (clipped: Discord shows at most 6,000 characters of embeds; the full answer is in the audit and the console)";

export function toDiscord(m: Message): DiscordMessage {
  const parts = m.parts.flatMap(lowerPart);
  const embeds = clipEmbeds(toEmbeds(parts));
  const components = toRows(parts);
  // The text is what notifications show; the message itself shows it only when there is nothing else.
  const content = embeds.length === 0 ? clip(discordMarkdown(m.text), DISCORD_LIMITS.content) : "";
  return { content, embeds, components, allowed_mentions: { parse: [] } };
}

function toEmbeds(parts: BasicPart[]): DiscordEmbed[] {
  const embeds: DiscordEmbed[] = [];
  let current: { title?: string; lines: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    const description = current.lines.join("\n").trim();
    for (const [i, chunk] of chunks(description, DISCORD_LIMITS.description).entries()) {
      embeds.push({
        ...(i === 0 && current.title ? { title: current.title } : {}),
        ...(chunk ? { description: chunk } : {}),
      });
    }
    if (!description && current.title) embeds.push({ title: current.title });
    current = null;
  };
  for (const p of parts) {
    if (p.kind === "header") {
      flush();
      current = { title: clip(escapeDiscord(p.text), DISCORD_LIMITS.title), lines: [] };
      continue;
    }
    if (p.kind === "actions") continue;
    current ??= { lines: [] };
    if (p.kind === "section") current.lines.push(discordMarkdown(p.text), "");
    else if (p.kind === "context")
      current.lines.push(...p.items.flatMap((t) => discordMarkdown(t).split("\n")).map((l) => `-# ${l}`), "");
    else current.lines.push("───");
  }
  flush();
  return embeds;
}

/** Splits at line ends where it can, so a code block is cut between lines rather than inside one. */
function chunks(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf("\n", max);
    const at = cut > max / 2 ? cut : max;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, "");
  }
  if (rest) out.push(rest);
  return out;
}

function clipEmbeds(embeds: DiscordEmbed[]): DiscordEmbed[] {
  const kept: DiscordEmbed[] = [];
  let total = 0;
  for (const e of embeds) {
    const size = (e.title?.length ?? 0) + (e.description?.length ?? 0);
    const room = DISCORD_LIMITS.embedTotal - CLIPPED.length - total;
    if (kept.length === DISCORD_LIMITS.embeds - 1 && embeds.length > DISCORD_LIMITS.embeds) {
      kept.push({ description: CLIPPED.trim() });
      return kept;
    }
    if (size > room) {
      const left = room - (e.title?.length ?? 0);
      kept.push({
        ...(e.title ? { title: e.title } : {}),
        description: `${(e.description ?? "").slice(0, Math.max(0, left))}${CLIPPED}`,
      });
      return kept;
    }
    kept.push(e);
    total += size;
  }
  return kept;
}

function toRows(parts: BasicPart[]): DiscordMessage["components"] {
  const buttons = parts.flatMap((p) => (p.kind === "actions" ? [p.buttons] : []));
  return buttons
    .flatMap((row) => {
      const out: Button[][] = [];
      for (let i = 0; i < row.length; i += DISCORD_LIMITS.buttonsPerRow)
        out.push(row.slice(i, i + DISCORD_LIMITS.buttonsPerRow));
      return out;
    })
    .slice(0, DISCORD_LIMITS.rows)
    .map((row, r) => ({ type: 1 as const, components: row.map((b, i) => toButton(b, r, i)) }));
}

const STYLE = { primary: 1, danger: 4 } as const;

function toButton(b: Button, row: number, index: number): DiscordButton {
  const id = customIdOf(b);
  return {
    type: 2,
    style: b.style ? STYLE[b.style] : 2,
    label: clip(b.label, DISCORD_LIMITS.label),
    // A button whose action cannot fit Discord's id is shown, disabled: its command can still be typed.
    custom_id: id ?? `clawops_too_long:${row}:${index}`,
    ...(id ? {} : { disabled: true as const }),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
