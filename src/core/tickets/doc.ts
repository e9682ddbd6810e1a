/**
 * One small document model for what clawops writes outside chat (a ticket's body, its comment,
 * the postmortem), rendered two ways: Markdown (GitHub issues, the postmortem file) and the
 * Atlassian Document Format Jira Cloud's REST API v3 takes for a description or a comment
 * (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/). Built from
 * the record, never parsed back, so neither renderer has to guess what a line meant.
 */

export type Inline = string | { code: string } | { strong: string } | { link: string; href: string };
export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; inlines: Inline[] }
  | { kind: "list"; ordered?: boolean; items: Inline[][] }
  | { kind: "code"; text: string }
  | { kind: "table"; header: string[]; rows: Inline[][][] }
  | { kind: "quote"; inlines: Inline[] };
export type Doc = Block[];

export const heading = (level: 1 | 2 | 3, text: string): Block => ({ kind: "heading", level, text });
export const para = (...inlines: Inline[]): Block => ({ kind: "paragraph", inlines });
export const list = (items: Inline[][], ordered = false): Block => ({ kind: "list", ordered, items });
export const code = (text: string): Block => ({ kind: "code", text });

/**
 * Timeline texts are chat mrkdwn (`<@U…>` mentions, `<url|label>` links, `&amp;`): plain words
 * for a tracker, where a mention of a Slack id means nothing.
 */
export function fromMrkdwn(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)>/g, "@$1")
    .replace(/<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>/g, "#$1")
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:\/\/[^>]+)>/g, "$1")
    .replace(/\*([^*\n]+)\*/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * Chat mrkdwn as inlines: its `code` spans stay code (Markdown and ADF have them too), the rest
 * is plain words (fromMrkdwn). What the record and the findings catalog write reads the same.
 */
export function mrkdwnInlines(text: string): Inline[] {
  const out: Inline[] = [];
  for (const [n, piece] of text.split("`").entries()) {
    if (!piece) continue;
    // Odd pieces sat between two backticks; a last odd one without its closer stays words.
    const closed = n % 2 === 1 && n < text.split("`").length - 1;
    out.push(closed ? { code: fromMrkdwn(piece) } : fromMrkdwn(n % 2 === 1 ? `\`${piece}` : piece));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown (GitHub-flavoured)
// ---------------------------------------------------------------------------------------------

/**
 * Characters Markdown would read as markup in running text; an underscore inside a word
 * (`model_routing`) is left as it is, as GitHub reads it, so the source stays easy to edit.
 */
function escapeMd(text: string): string {
  return (
    text
      .replace(/([\\`*[\]<>|])/g, "\\$1")
      .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace("_", "\\_"))
      .replace(/\n+/g, " ")
      // A scrub marker stays as the scrub wrote it (no link can follow it: brackets alone are
      // words in Markdown), so the draft's second scan still knows a redacted value for one.
      .replace(/\\\[REDACTED:([a-z0-9-]+)\\\](?![([:])/g, "[REDACTED:$1]")
  );
}

function inlineMd(i: Inline): string {
  if (typeof i === "string") return escapeMd(i);
  if ("code" in i) {
    // A code span holds any text: fenced with more backticks than it contains in a row.
    const longest = Math.max(0, ...(i.code.match(/`+/g) ?? []).map((r) => r.length));
    const fence = "`".repeat(longest + 1);
    const body = i.code.replace(/\n+/g, " ");
    return longest > 0 || body.startsWith(" ") ? `${fence} ${body} ${fence}` : `${fence}${body}${fence}`;
  }
  if ("strong" in i) return `**${escapeMd(i.strong)}**`;
  return `[${escapeMd(i.link)}](${i.href.replace(/[()\s]/g, encodeURIComponent)})`;
}

const inlinesMd = (inlines: readonly Inline[]) => inlines.map(inlineMd).join("");

export function toMarkdown(doc: Doc): string {
  const out: string[] = [];
  for (const b of doc) {
    switch (b.kind) {
      case "heading":
        out.push(`${"#".repeat(b.level)} ${escapeMd(b.text)}`);
        break;
      case "paragraph":
        out.push(inlinesMd(b.inlines));
        break;
      case "quote":
        out.push(`> ${inlinesMd(b.inlines)}`);
        break;
      case "list":
        out.push(b.items.map((item, n) => `${b.ordered ? `${n + 1}.` : "-"} ${inlinesMd(item)}`).join("\n"));
        break;
      case "code": {
        const longest = Math.max(2, ...(b.text.match(/`+/g) ?? []).map((r) => r.length));
        const fence = "`".repeat(longest + 1);
        out.push(`${fence}\n${b.text}\n${fence}`);
        break;
      }
      case "table":
        out.push(
          [
            `| ${b.header.map(escapeMd).join(" | ")} |`,
            `| ${b.header.map(() => "---").join(" | ")} |`,
            ...b.rows.map((r) => `| ${r.map(inlinesMd).join(" | ")} |`),
          ].join("\n"),
        );
        break;
    }
  }
  return `${out.join("\n\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Atlassian Document Format (Jira Cloud REST v3)
// ---------------------------------------------------------------------------------------------

export type AdfNode = {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
};
export type AdfDoc = { type: "doc"; version: 1; content: AdfNode[] };

/** A text node; ADF refuses an empty one, so empty text is left out by the callers. */
function adfText(i: Inline): AdfNode | null {
  if (typeof i === "string") return i ? { type: "text", text: i } : null;
  if ("code" in i) return i.code ? { type: "text", text: i.code, marks: [{ type: "code" }] } : null;
  if ("strong" in i) return i.strong ? { type: "text", text: i.strong, marks: [{ type: "strong" }] } : null;
  return i.link ? { type: "text", text: i.link, marks: [{ type: "link", attrs: { href: i.href } }] } : null;
}

function adfParagraph(inlines: readonly Inline[]): AdfNode {
  const content = inlines.map(adfText).filter((n): n is AdfNode => n !== null);
  return content.length ? { type: "paragraph", content } : { type: "paragraph" };
}

export function toAdf(doc: Doc): AdfDoc {
  const content: AdfNode[] = [];
  for (const b of doc) {
    switch (b.kind) {
      case "heading":
        content.push({ type: "heading", attrs: { level: b.level }, content: [{ type: "text", text: b.text || "-" }] });
        break;
      case "paragraph":
        content.push(adfParagraph(b.inlines));
        break;
      case "quote":
        content.push({ type: "blockquote", content: [adfParagraph(b.inlines)] });
        break;
      case "list":
        if (b.items.length === 0) break;
        content.push({
          type: b.ordered ? "orderedList" : "bulletList",
          content: b.items.map((item) => ({ type: "listItem", content: [adfParagraph(item)] })),
        });
        break;
      case "code":
        content.push({ type: "codeBlock", content: b.text ? [{ type: "text", text: b.text }] : [] });
        break;
      case "table":
        content.push({
          type: "table",
          content: [
            { type: "tableRow", content: b.header.map((h) => ({ type: "tableHeader", content: [adfParagraph([h])] })) },
            ...b.rows.map((r) => ({
              type: "tableRow",
              content: r.map((cell) => ({ type: "tableCell", content: [adfParagraph(cell)] })),
            })),
          ],
        });
        break;
    }
  }
  return { type: "doc", version: 1, content };
}

/** The document's words only, for the second scan and for PagerDuty's plain-text note. */
export function toPlainText(doc: Doc): string {
  const inline = (i: Inline) =>
    typeof i === "string" ? i : "code" in i ? i.code : "strong" in i ? i.strong : `${i.link} (${i.href})`;
  const block = (b: Block): string => {
    if (b.kind === "heading" || b.kind === "code") return b.text;
    if (b.kind === "paragraph" || b.kind === "quote") return b.inlines.map(inline).join("");
    if (b.kind === "list") return b.items.map((item) => `- ${item.map(inline).join("")}`).join("\n");
    return [b.header.join(" | "), ...b.rows.map((r) => r.map((c) => c.map(inline).join("")).join(" | "))].join("\n");
  };
  return doc.map(block).join("\n\n");
}
