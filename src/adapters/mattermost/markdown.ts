import { discordMarkdown, escapeDiscord } from "../discord/markdown.ts";

/**
 * clawops' rich text (Slack's mrkdwn subset, core/messages/model.ts) as Mattermost markdown
 * (https://docs.mattermost.com/collaborate/format-messages.html). Mattermost reads the same
 * CommonMark-with-extensions Discord does for what clawops writes: `**bold**`, `[label](url)`,
 * code spans and fenced blocks, backslash escapes; so the conversion is Discord's, less its
 * `<@id>` mentions (Mattermost mentions by @username, which clawops does not know from an id).
 */
export function mattermostMarkdown(text: string): string {
  return discordMarkdown(text.replace(/\*discord:(\d{5,25})\*/g, "*discord user $1*"));
}

/** Plain text (a header, a label) as Mattermost shows it literally: markdown characters escaped. */
export function escapeMattermost(text: string): string {
  return escapeDiscord(text).replace(/([#@<>[\]])/g, "\\$1");
}
