import { escapeMrkdwn } from "../mrkdwn.ts";
import type { BasicPart, Button } from "./model.ts";

/**
 * Builders for message parts. Text is clipped here to Slack's limits (150 characters for a
 * header, 3,000 for a section or context item, ten context items, 300 for a confirm dialog) so
 * that every surface shows the same text, the strictest one's.
 */
export { escapeMrkdwn };

export const header = (text: string): BasicPart => ({ kind: "header", text: clip(text, 150) });
export const section = (text: string): BasicPart => ({ kind: "section", text: clip(text, 3000) });
export const context = (...items: string[]): BasicPart => ({
  kind: "context",
  items: items.slice(0, 10).map((text) => clip(text, 3000)),
});
export const divider = (): BasicPart => ({ kind: "divider" });
export const actions = (id: string, buttons: Button[]): BasicPart => ({
  kind: "actions",
  id,
  buttons: buttons.map((b) => (b.confirm ? { ...b, confirm: { ...b.confirm, text: clip(b.confirm.text, 300) } } : b)),
});

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Joins lines into chunks of at most `max` characters, breaking only between lines. */
export function wholeLineSections(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  let chunk = "";
  for (const line of lines) {
    const piece = line.length > max ? clip(line, max) : line;
    if (chunk && chunk.length + 1 + piece.length > max) {
      out.push(chunk);
      chunk = "";
    }
    chunk = chunk ? `${chunk}\n${piece}` : piece;
  }
  if (chunk) out.push(chunk);
  return out;
}

/** Code blocks: backticks inside would end the block early. */
export function codeBlock(lines: readonly string[]): string {
  return `\`\`\`\n${escapeMrkdwn(lines.join("\n").replace(/```/g, "ˋˋˋ"))}\n\`\`\``;
}
