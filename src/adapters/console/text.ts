import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Message } from "../../core/messages/model.ts";

/**
 * Neutral message → terminal text, for the `clawops` CLI: the same messages the console page
 * and Slack show, readable in a terminal or a log file. Without `ansi` the output is plain text.
 */
export interface TextStyle {
  /** Bold headers and *bold*, dim context lines. Only for a terminal that asked for it. */
  ansi?: boolean;
}

const CODE_INDENT = "    ";
const RULE_WIDTH = 48;

const bold = (s: string, style: TextStyle) => (style.ansi ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s: string, style: TextStyle) => (style.ansi ? `\x1b[2m${s}\x1b[22m` : s);

/** Slack escapes exactly these three in mrkdwn; `&amp;` goes last so `&amp;lt;` stays `&lt;`. */
export function decodeMrkdwnEntities(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function controlSequence(inner: string): string | null {
  let m = /^@([UW][A-Z0-9]+)(?:\|(.+))?$/.exec(inner);
  if (m) return `@${m[2] ?? m[1]}`;
  m = /^#(C[A-Z0-9]+)(?:\|(.+))?$/.exec(inner);
  if (m) return `#${m[2] ?? m[1]}`;
  m = /^!(here|channel|everyone)(?:\|.*)?$/.exec(inner);
  if (m) return `@${m[1]}`;
  m = /^((?:https?|mailto):[^|\s]+)(?:\|(.+))?$/.exec(inner);
  if (m?.[1]) return m[2] ? `${m[2]} (${m[1]})` : m[1];
  return null;
}

/**
 * mrkdwn → plain text: formatting markers dropped (or ANSI bold), code blocks indented,
 * mentions and links spelled out, Slack's escapes decoded.
 */
export function mrkdwnToText(mrkdwn: string, style: TextStyle = {}): string {
  // Finished pieces wait in a stash behind a private-use marker, safe from later rewrites.
  const stash: string[] = [];
  const keep = (text: string) => `\ue000${stash.push(text) - 1}\ue000`;
  let s = mrkdwn.replace(/\ue000/g, "");
  s = s.replace(/[ \t]*```\n?([\s\S]*?)\n?```[ \t]*/g, (whole, code: string, at: number, all: string) => {
    const lines = decodeMrkdwnEntities(code).split("\n");
    // A code block always sits on lines of its own.
    const before = at > 0 && all[at - 1] !== "\n" ? "\n" : "";
    const after = at + whole.length < all.length && all[at + whole.length] !== "\n" ? "\n" : "";
    return before + keep(lines.map((l) => (l ? CODE_INDENT + l : "")).join("\n")) + after;
  });
  s = s.replace(/`([^`\n]+)`/g, (_, code: string) => keep(decodeMrkdwnEntities(code)));
  s = s.replace(/<([^<>\n]+)>/g, (whole, inner: string) => {
    const text = controlSequence(inner);
    return text === null ? whole : keep(decodeMrkdwnEntities(text));
  });
  s = s.replace(
    /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g,
    (_, pre: string, inner: string) => pre + bold(inner, style),
  );
  s = s.replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, "$1$2");
  s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, "$1$2");
  s = decodeMrkdwnEntities(s);
  s = s.replace(/\ue000(\d+)\ue000/g, (_, i: string) => stash[Number(i)] ?? "");
  return s;
}

/** Terminal columns a string takes: emoji are two wide, joiners and variation selectors none. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    if (/[\u200d\ufe0e\ufe0f]/.test(ch)) continue;
    width += /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  }
  return width;
}

export function partToText(p: BasicPart, style: TextStyle = {}): string {
  switch (p.kind) {
    case "header":
      return `${bold(p.text, style)}\n${"━".repeat(Math.min(displayWidth(p.text), 72))}`;
    case "section":
      return mrkdwnToText(p.text, style);
    case "context":
      return dim(p.items.map((t) => mrkdwnToText(t, style)).join("  ·  "), style);
    case "divider":
      return dim("─".repeat(RULE_WIDTH), style);
    case "actions":
      // The buttons work in the console page and in Slack. The terminal names a command
      // button's command (to type), and says an approval's buttons are there.
      if (p.buttons.length > 0 && p.buttons.every((b) => b.actionId.startsWith(RUN_ACTION_PREFIX)))
        return dim(p.buttons.map((b) => `[${b.label}: ${b.value}]`).join("  "), style);
      return dim("[actions block]", style);
  }
}

/** A whole message, or some of its parts. Falls back to its notification text when it has none. */
export function messageToText(m: Message, style: TextStyle = {}, parts = m.parts): string {
  const basic = parts.flatMap(lowerPart);
  if (basic.length === 0) return mrkdwnToText(m.text, style);
  // A blank line between parts, as Slack spaces its blocks; none under a header, which has its rule.
  return basic
    .map(
      (p, i) =>
        (i === 0 ? "" : p.kind === "header" || basic[i - 1]?.kind !== "header" ? "\n\n" : "\n") + partToText(p, style),
    )
    .join("");
}
