import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ClawopsError } from "../../core/errors.ts";

/**
 * The most each route reads of a request body. A body over its cap is refused with 413
 * before more than the cap is read: by its Content-Length, or while it streams in.
 * Slack's slash commands are a few hundred bytes; an interaction payload carries the message
 * the button sits on (up to 50 blocks of 3,000 characters, JSON- and form-encoded), hence
 * its larger cap. The rest are small JSON bodies of our own.
 */
export const BODY_LIMITS = {
  slackCommand: 32 * 1024,
  slackInteraction: 1024 * 1024,
  /**
   * An Events API request: one event, a message of up to 40,000 characters with its blocks and
   * files, and for an edit the message before it too.
   */
  slackEvent: 1024 * 1024,
  /**
   * A Discord interaction: a command's options, or a press carrying the message its button sits
   * on (at most 2,000 characters of content and 6,000 of embeds, plus its components and authors).
   */
  discordInteraction: 256 * 1024,
  /** A Mattermost slash command: a form of ten short fields and the command's text. */
  mattermostCommand: 16 * 1024,
  /** A Mattermost button press or dialog submission: ids, the button's signed context, a few fields. */
  mattermostAction: 64 * 1024,
  /**
   * A Bot Framework activity from Teams: a message of up to about 28 KB with its entities and
   * channel data, or a card press carrying its data.
   */
  teamsActivity: 128 * 1024,
  enroll: 4 * 1024,
  consoleCommand: 8 * 1024,
  consoleConfirm: 4 * 1024,
  /**
   * Alertmanager's and Grafana's webhooks: a whole alert group (Alertmanager's max_alerts, 0 by
   * default, leaves it unbounded), each alert with its labels and annotations.
   */
  alertGroup: 1024 * 1024,
  /** PagerDuty v3: one event, an incident of a few kilobytes. */
  pagerduty: 256 * 1024,
  /** Jira's issue webhook: the whole issue with its fields and the changelog (issue 41). */
  jiraWebhook: 1024 * 1024,
  /** The Worker's operator API: `{host}`. */
  adminEnrollmentCode: 4 * 1024,
} as const;

export function capBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ClawopsError("payload_too_large", `Request body is larger than ${maxBytes} bytes.`, { status: 413 });
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    // A declared length (no chunked encoding) is judged from the header alone, as hono's
    // bodyLimit does, without touching `c.req.raw.body`: on Node that stream builds a whole
    // undici Request per call, the costliest part of a slash command's ack after the HMAC.
    // Node's parser reads exactly Content-Length bytes as the body, so the header is the size.
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined && /^\d+$/.test(length)) {
      return Number(length) > maxBytes ? tooLarge() : next();
    }
    return streamed(c, next);
  };
}
