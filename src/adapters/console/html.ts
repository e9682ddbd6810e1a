import { PRESS_BY_ACTION } from "../../core/confirmations/confirm.ts";
import { RUN_ACTION_PREFIX } from "../../core/messages/buttons.ts";
import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Button, Message, Part } from "../../core/messages/model.ts";
import { iconize } from "./icons.ts";

/**
 * Neutral message → the console page's HTML, rendered on the server (the page inserts it as
 * is). The classes are the page's (src/node/console/page.css); buttons carry what the page
 * posts to /api/console/confirm.
 *
 * Safety: rich text quotes host names, probe output and user input, so it is escaped as a
 * whole first and only tags made here are added. Slack's own escapes (&amp; &lt; &gt;) are
 * also HTML's, so they pass through as entities.
 *
 * Icons: the emoji written for Slack are drawn as the page's inline SVG (icons.ts), so the
 * console needs no emoji font.
 */
export function messageToHtml(m: Message): string {
  if (m.parts.length === 0) return `<div class="b-text">${mrkdwnToHtml(m.text)}</div>`;
  return m.parts.map(partToHtml).join("");
}

function partToHtml(p: Part): string {
  // A matrix and a finding look like the sections they are drawn as, in a wrapper that names them.
  if (p.kind === "matrix") return `<div class="m-matrix">${lowerPart(p).map(basicToHtml).join("")}</div>`;
  if (p.kind === "finding")
    return `<article class="m-finding" data-finding="${escapeText(p.id)}">${lowerPart(p).map(basicToHtml).join("")}</article>`;
  return basicToHtml(p);
}

function basicToHtml(p: BasicPart): string {
  switch (p.kind) {
    case "header":
      return `<h3 class="b-header">${iconize(escapeText(p.text))}</h3>`;
    case "section":
      return `<div class="b-section"><div class="b-text">${mrkdwnToHtml(p.text)}</div></div>`;
    case "context":
      return `<div class="b-context">${p.items.map((t) => `<div class="b-context-el">${mrkdwnToHtml(t)}</div>`).join("")}</div>`;
    case "divider":
      return `<hr class="b-divider">`;
    case "actions":
      return `<div class="b-actions">${p.buttons.map(buttonToHtml).join("")}</div>`;
  }
}

/**
 * A button: a confirmation's (the same approval path as Slack's) or a command button's (the
 * command it stands for, run through /api/console/press), as the local operator.
 */
function buttonToHtml(b: Button): string {
  const isCommand = b.actionId.startsWith(RUN_ACTION_PREFIX);
  const decision = PRESS_BY_ACTION[b.actionId] ?? "cancel";
  const attrs = [
    `type="button"`,
    `class="b-button${b.style ? ` ${b.style}` : ""}"`,
    `data-testid="${isCommand ? "command-button" : "action-button"}"`,
    `data-action-id="${escapeText(b.actionId)}"`,
    `data-value="${escapeText(b.value)}"`,
    isCommand ? `data-command="${escapeText(b.value)}"` : `data-decision="${decision}"`,
    // The dialog is plain text: markup markers dropped, Slack's escapes decoded.
    ...(b.confirm && (isCommand || decision !== "cancel")
      ? [`data-confirm="${escapeText(decodeEntities(b.confirm.text.replace(/[*`]/g, "")))}"`]
      : []),
  ];
  return `<button ${attrs.join(" ")}>${iconize(escapeText(b.label))}</button>`;
}

/** Plain text → HTML text or attribute value. */
export function escapeText(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** mrkdwn → HTML: like escapeText, but Slack's three escapes stay the entities they are. */
function escapeMrkdwnText(s: string): string {
  return s
    .replace(/&(?!(?:amp|lt|gt);)/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Slack's <…> control sequences; anything else in angle brackets stays literal text. */
function controlSequence(inner: string): string | null {
  let m = /^@([UW][A-Z0-9]+)(?:\|(.+))?$/.exec(inner);
  if (m) return `<span class="mention">@${escapeMrkdwnText(m[2] ?? m[1] ?? "")}</span>`;
  m = /^#(C[A-Z0-9]+)(?:\|(.+))?$/.exec(inner);
  if (m) return `<span class="mention">#${escapeMrkdwnText(m[2] ?? m[1] ?? "")}</span>`;
  m = /^!(here|channel|everyone)(?:\|.*)?$/.exec(inner);
  if (m) return `<span class="mention">@${m[1]}</span>`;
  m = /^((?:https?|mailto):[^|\s]+)(?:\|(.+))?$/.exec(inner);
  if (m?.[1]) return link(m[1], m[2] ?? m[1]);
  return null;
}

/** A link that opens beside the console. */
function link(href: string, label: string): string {
  return `<a href="${escapeMrkdwnText(href)}" target="_blank" rel="noopener noreferrer">${escapeMrkdwnText(label)}</a>`;
}

export function mrkdwnToHtml(src: string): string {
  // Finished HTML waits behind a private-use marker, out of reach of the later rewrites.
  const stash: string[] = [];
  const keep = (html: string) => `\ue000${stash.push(html) - 1}\ue000`;
  let s = src.replace(/\ue000/g, "");
  s = s.replace(/```\n?([\s\S]*?)\n?```/g, (_, code: string) => keep(`<pre>${escapeMrkdwnText(code)}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code: string) => keep(`<code>${escapeMrkdwnText(code)}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (whole, inner: string) => {
    const html = controlSequence(inner);
    return html === null ? whole : keep(html);
  });
  // A bare URL is a link, as Slack makes it one (a bundle's download link, a runbook's docs):
  // not its trailing punctuation, and not one in code (stashed above).
  s = s.replace(/\bhttps?:\/\/[^\s<>"'`\ue000]+/g, (found: string) => {
    const url = found.replace(/[.,;:!?)\]]+$/, "");
    return keep(link(url, url)) + found.slice(url.length);
  });
  s = escapeMrkdwnText(s);
  s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, "$1<strong>$2</strong>");
  s = s.replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, "$1<em>$2</em>");
  s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, "$1<del>$2</del>");
  s = s.replace(/\n/g, "<br>");
  // Emoji become the page's icons; code and links (stashed) keep their characters.
  s = iconize(s);
  return s.replace(/\ue000(\d+)\ue000/g, (_, i: string) => stash[Number(i)] ?? "");
}
