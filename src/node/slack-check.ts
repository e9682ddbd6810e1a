import { SlackCallError, SlackClient } from "../adapters/slack/client.ts";
import { errorMessage } from "../contract/errors.ts";
import type { Logger } from "../core/ports/basics.ts";

/**
 * Slack's credentials checked before the control plane starts (issue 33, item 6): a wrong bot
 * token used to show up at the first failed post, a wrong app token as Bolt's "http request
 * failed fetch failed". `auth.test` (https://api.slack.com/methods/auth.test) proves the bot
 * token and names the workspace and the bot for the banner; for Socket Mode,
 * `apps.connections.open` (https://api.slack.com/methods/apps.connections.open) proves the
 * app-level token (the URL it returns is not used; Bolt asks for its own). A refusal says which
 * call failed, Slack's error and what to check.
 */
export interface SlackIdentity {
  team: string;
  teamId: string;
  /** The bot user's name and id. */
  user: string;
  userId: string;
  botId: string | null;
}

/** How long the start waits for Slack, retries included: a dead network refuses in seconds, not at the first post. */
const START_BUDGET_MS = 15_000;

export async function checkSlackAtStart(opts: {
  botToken: string;
  /** Socket Mode's app-level token, when set. */
  appToken?: string;
  apiUrl?: string;
  logger?: Logger;
}): Promise<SlackIdentity> {
  const retry = { budgetMs: START_BUDGET_MS };
  const bot = new SlackClient({ token: opts.botToken, apiUrl: opts.apiUrl, logger: opts.logger, retry });
  let answer: Record<string, unknown>;
  try {
    answer = await bot.api("auth.test", {});
  } catch (err) {
    throw new Error(refusal("auth.test", "SLACK_BOT_TOKEN", bot.apiUrl, err));
  }
  const text = (k: string) => (typeof answer[k] === "string" ? (answer[k] as string) : "");
  const identity: SlackIdentity = {
    team: text("team"),
    teamId: text("team_id"),
    user: text("user"),
    userId: text("user_id"),
    botId: text("bot_id") || null,
  };
  if (!identity.botId) {
    throw new Error(
      `SLACK_BOT_TOKEN is not a bot token: auth.test says it belongs to the user ${identity.user || identity.userId} in ${identity.team || identity.teamId}, with no bot. Use the app's Bot User OAuth Token (xoxb-…, Slack app > OAuth & Permissions).`,
    );
  }
  if (opts.appToken) {
    const app = new SlackClient({ token: opts.appToken, apiUrl: opts.apiUrl, logger: opts.logger, retry });
    try {
      await app.api("apps.connections.open", {}, "form");
    } catch (err) {
      throw new Error(refusal("apps.connections.open", "SLACK_APP_TOKEN", app.apiUrl, err));
    }
  }
  return identity;
}

/** What to tell the operator when `call` failed, by what failed. */
function refusal(call: string, variable: string, apiUrl: string, err: unknown): string {
  const token =
    variable === "SLACK_APP_TOKEN"
      ? "an app-level token (xapp-…, Slack app > Basic Information > App-Level Tokens) with the connections:write scope, and Socket Mode is on (Settings > Socket Mode)"
      : "the app's Bot User OAuth Token (xoxb-…, Slack app > OAuth & Permissions) and the app is installed in the workspace";
  if (err instanceof SlackCallError && !err.transient) {
    return `Slack refused ${variable} at start (${call}: ${err.slackError}). Check it is ${token}.`;
  }
  // Not Slack's answer (the network, a 5xx, rate limits past the budget): the client's message names the call.
  const standIn = apiUrl.startsWith("https://slack.com/")
    ? ""
    : ` (SLACK_API_URL is ${apiUrl}: set it only for a Slack stand-in)`;
  return `clawops could not check ${variable} at start: ${errorMessage(err)} It needs the Slack Web API: check this machine's network, DNS and proxy${standIn}.`;
}

/** The banner's line. */
export function slackBannerLine(identity: SlackIdentity, mode: string): string {
  return `  Slack:                workspace ${identity.team || "?"} (${identity.teamId}) as @${identity.user} (bot ${identity.botId}), ${mode}`;
}
