/**
 * clawops' rich text (Slack's mrkdwn subset, core/messages/model.ts) as Discord markdown
 * (https://support.discord.com/hc/en-us/articles/210298617): `*bold*` → `**bold**`,
 * `<url|label>` → `[label](url)`, a Discord user clawops names (`*discord:<id>*`, how
 * core/messages/format.ts writes a user it cannot mention) → `<@id>`, and the three escaped
 * characters back to themselves. Code spans and blocks are left exactly as they are.
 *
 * Slack's own references, in a message first written for Slack and shown here too (an incident
 * mirrored from a Slack channel, core/incidents/mirrors.ts), mean nothing here and would show as
 * raw `<@U0…>`: they become words that say whose they are (`**U0OPS on Slack**`, `#C0INC on
 * Slack`), and none of them pings anyone here.
 */
const CODE = /(```[\s\S]*?```|`[^`\n]*`)/;

export function discordMarkdown(text: string): string {
  return text
    .split(CODE)
    .map((piece, i) => (i % 2 === 1 ? unescapeMrkdwn(piece) : prose(piece)))
    .join("");
}

function prose(text: string): string {
  return unescapeMrkdwn(
    text
      .replace(/\*discord:(\d{5,25})\*/g, "<@$1>")
      .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, "*$1 on Slack*")
      .replace(
        /<!subteam\^([A-Z0-9]+)(?:\|@?([^>]+))?>/g,
        (_m, id: string, name?: string) => `*${name ?? id} on Slack*`,
      )
      .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, name?: string) => `#${name ?? id} on Slack`)
      .replace(/<!(here|channel|everyone)>/g, "(everyone in the Slack channel)")
      .replace(/<(https?:\/\/[^|>\s]+)\|([^>]+)>/g, "[$2]($1)")
      .replace(/<(https?:\/\/[^|>\s]+)>/g, "$1")
      .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?![*\w])/g, "$1**$2**"),
  );
}

function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Plain text (a header, a label) as Discord shows it literally: markdown characters escaped. */
export function escapeDiscord(text: string): string {
  return text.replace(/([\\*_~`|])/g, "\\$1");
}
