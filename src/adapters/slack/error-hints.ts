/**
 * What a person can do about a Slack error, in words. Codes from the Web API method pages
 * (https://api.slack.com/methods/chat.postMessage#errors) and the response_url docs.
 */
export function slackErrorHint(error: string, where: { channel?: string | undefined; needed?: string | undefined }) {
  const ch = where.channel ? `<#${where.channel}>` : "the channel";
  const isDm = where.channel?.startsWith("D") ?? false;
  switch (error) {
    case "not_in_channel":
      return `clawops is not a member of ${ch}. Invite the bot: \`/invite @clawops\` in ${ch}, then run the command again.`;
    case "channel_not_found":
      return isDm
        ? "clawops cannot post in this direct message. Run the command in a channel, after inviting the bot there: `/invite @clawops`."
        : `clawops cannot see ${ch} (a private channel it was not invited to, or one that was deleted). Invite the bot: \`/invite @clawops\`, or run the command in a channel it is in.`;
    case "is_archived":
      return `${ch} is archived. Unarchive it, or run the command in an active channel.`;
    case "restricted_action":
    case "restricted_action_read_only_channel":
    case "restricted_action_thread_only_channel":
    case "restricted_action_non_threadable_channel":
    case "cannot_dm_bot":
    case "messages_tab_disabled":
      return `clawops may not post in ${isDm ? "this direct message" : ch} (posting is restricted there). Run the command in a channel where the bot may post, after \`/invite @clawops\`.`;
    case "invalid_auth":
    case "not_authed":
    case "token_revoked":
    case "token_expired":
    case "account_inactive":
      return "Slack refused the bot token: an admin needs to reinstall the Slack app or update SLACK_BOT_TOKEN.";
    case "missing_scope":
      return `The Slack app lacks a scope${where.needed ? ` (${where.needed})` : ""}: an admin needs to add it and reinstall the app.`;
    case "expired_url":
    case "used_url":
      return "The command's reply address expired (Slack allows 30 min and 5 replies).";
    case "ratelimited":
      return "Slack kept rate-limiting clawops; try again in a minute.";
    case "network":
      return "Slack could not be reached; check the control plane's network, then try again.";
    default:
      return error.startsWith("http_5") ? "Slack is having trouble; try again in a minute." : null;
  }
}
