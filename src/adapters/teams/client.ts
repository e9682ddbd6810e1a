import { ClawopsError } from "../../core/errors.ts";
import type { Logger } from "../../core/ports/basics.ts";
import { callWithRetries, jsonObject, type TryOutcome } from "../chat/retry.ts";
import type { AppTokenSource } from "./token.ts";

/**
 * The one HTTP client for the Bot Connector REST API v3 (activities in Teams conversations).
 * fetch only, so it runs on Node and in workerd.
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
 *
 * Every call carries the bot's client-credentials token (token.ts); a 401 asks for a new one once.
 * Retries, inside one time budget per call (30 s by default):
 *  - HTTP 429 (Teams throttles a bot per conversation and per tenant): wait `Retry-After`
 *    (seconds), else a backoff. https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
 *  - HTTP 502/503/504 and a 500 on an edit, network failures on an edit: backoff 0.5 s, 1 s, 2 s …
 *    capped at 8 s, with jitter.
 *  - other 4xx are the connector's considered answer (`{error: {code, message}}`) and are not retried.
 * Creating an activity has no idempotency key in Bot Connector, so a POST is retried only when
 * nothing was posted: a 429, or a 502/503/504 answered in front of the service; a 500 or a lost
 * answer may have posted, so it fails instead of posting twice. An edit (PUT) is the same sent once or twice.
 */
export interface TeamsRetryPolicy {
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_TEAMS_RETRY: TeamsRetryPolicy = { budgetMs: 30_000, baseDelayMs: 500, maxDelayMs: 8_000 };

export interface BotConnectorOptions {
  tokens: AppTokenSource;
  logger?: Logger;
  fetch?: typeof fetch;
  retry?: Partial<TeamsRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A Bot Connector call that failed for good. */
export class TeamsCallError extends ClawopsError {
  readonly route: string;
  readonly httpStatus: number;
  /** The connector's error code (`BadArgument`, `ConversationNotFound`, `BotNotInConversationRoster` …), "" if none. */
  readonly errorCode: string;
  readonly transient: boolean;

  constructor(route: string, status: number, errorCode: string, message: string, transient: boolean, cause?: unknown) {
    super("teams_api", message, { status: 502, ...(cause === undefined ? {} : { cause }) });
    this.route = route;
    this.httpStatus = status;
    this.errorCode = errorCode;
    this.transient = transient;
  }
}

/** Words for answers an operator can act on. */
const HINTS: Record<number, string> = {
  401: "The bot's token was not accepted: check MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (docs/teams.md).",
  403: "The bot is not in this conversation: add the clawops app to the team (Apps → Manage your apps).",
  404: "The conversation or message does not exist, or the bot cannot see it.",
  413: "The card is larger than Teams takes (about 28 KB a message).",
};

export class BotConnectorClient {
  private readonly opts: BotConnectorOptions;
  private readonly policy: TeamsRetryPolicy;

  constructor(opts: BotConnectorOptions) {
    this.opts = opts;
    this.policy = { ...DEFAULT_TEAMS_RETRY, ...opts.retry };
  }

  /** A JSON call to `{serviceUrl}/v3/…`. */
  json(method: "POST" | "PUT", serviceUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const doFetch = this.opts.fetch ?? fetch;
    const url = `${serviceUrl.replace(/\/+$/, "")}${path}`;
    const route = `${method} ${path.replace(/\/conversations\/[^/]+/, "/conversations/{id}").replace(/\/activities\/[^/]+/, "/activities/{id}")}`;
    let renewed = false;
    return callWithRetries({
      route,
      policy: this.policy,
      createsOnce: method === "POST",
      retriedLog: "teams call retried",
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      ...(this.opts.now ? { now: this.opts.now } : {}),
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      // The connector's refusal, and the token source's (a refused app secret names the settings).
      passes: (err) => err instanceof ClawopsError,
      gaveUp: (failure, attempts, why) =>
        new TeamsCallError(
          route,
          failure.status,
          "",
          `Teams ${route} failed after ${attempts} attempt${attempts > 1 ? "s" : ""}: ${failure.detail}${why}.`,
          true,
          failure.cause,
        ),
      attempt: async (signal): Promise<TryOutcome> => {
        const token = await this.opts.tokens.token();
        const res = await doFetch(url, {
          method,
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
          signal,
        });
        const json = jsonObject(await res.text().catch(() => ""));
        if (res.status === 401 && !renewed) {
          // A token revoked or rotated before its time: one new token, then the answer stands.
          renewed = true;
          this.opts.tokens.forget();
          return { failure: { detail: "HTTP 401", status: 401, retryAfterMs: 0, mayHaveActed: false } };
        }
        if (res.status === 429)
          return { failure: { detail: "HTTP 429 (throttled)", status: 429, mayHaveActed: false, ...retryAfter(res) } };
        if (res.status >= 500)
          return { failure: { detail: `HTTP ${res.status}`, status: res.status, mayHaveActed: res.status === 500 } };
        if (res.ok) return { json };
        const error = (json.error ?? {}) as { code?: unknown; message?: unknown };
        const code = typeof error.code === "string" ? error.code : "";
        const said = typeof error.message === "string" ? error.message.slice(0, 200) : `HTTP ${res.status}`;
        const hint = HINTS[res.status];
        throw new TeamsCallError(
          route,
          res.status,
          code,
          `Teams ${route} failed: ${said} (${res.status}${code ? ` ${code}` : ""}).${hint ? ` ${hint}` : ""}`,
          false,
        );
      },
    });
  }
}

/** Retry-After in seconds; none: the backoff decides. */
function retryAfter(res: Response): { retryAfterMs?: number } {
  const raw = res.headers.get("retry-after");
  const seconds = raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: Math.ceil(seconds * 1000) } : {};
}
