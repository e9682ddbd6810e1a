import { ClawopsError } from "../../core/errors.ts";
import type { Logger } from "../../core/ports/basics.ts";
import { callWithRetries, jsonObject, type TryOutcome } from "../chat/retry.ts";

/**
 * The one HTTP client for Mattermost's REST API v4 (posts, files, dialogs). fetch only, so it
 * runs on Node and in workerd. https://api.mattermost.com/
 *
 * Retries, inside one time budget per call (25 s by default):
 *  - HTTP 429 (the server's rate limiter, on by default): wait `Retry-After` (seconds), else
 *    `X-RateLimit-Reset` (seconds until the limit resets), else 1 s.
 *    https://docs.mattermost.com/configure/environment-configuration-settings.html#rate-limiting
 *  - HTTP 5xx and network failures: backoff 0.5 s, 1 s, 2 s … capped at 8 s, with jitter.
 *  - other 4xx are Mattermost's considered answer (`{id, message, status_code}`) and are not retried.
 * A post is created with a `pending_post_id` the server remembers for 30 s: sent again (a lost
 * answer, a 500) it answers the post it already made instead of a second one, so creating a post
 * is retried like an edit. The budget stays under those 30 s.
 */
export interface MattermostRetryPolicy {
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_MATTERMOST_RETRY: MattermostRetryPolicy = {
  budgetMs: 25_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export interface MattermostClientOptions {
  /** The server's Site URL (MATTERMOST_URL). */
  url: string;
  token: string;
  logger?: Logger;
  fetch?: typeof fetch;
  retry?: Partial<MattermostRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A Mattermost call that failed for good: the server's error id, or the transient failure the budget ran out on. */
export class MattermostCallError extends ClawopsError {
  readonly route: string;
  readonly httpStatus: number;
  /** Mattermost's error id (`api.context.permissions.app_error` …), "" if none. */
  readonly errorId: string;
  readonly transient: boolean;

  constructor(route: string, status: number, errorId: string, message: string, transient: boolean, cause?: unknown) {
    super("mattermost_api", message, { status: 502, ...(cause === undefined ? {} : { cause }) });
    this.route = route;
    this.httpStatus = status;
    this.errorId = errorId;
    this.transient = transient;
  }
}

/** Words for answers an operator can act on. */
const HINTS: Record<number, string> = {
  401: "MATTERMOST_BOT_TOKEN is not accepted (Integrations → Bot Accounts → Create New Token).",
  403: "The bot lacks access here: add it to the team and the channel (`/invite @clawops`).",
  404: "The channel or post does not exist, or the bot cannot see it.",
  413: "The file is larger than the server takes (System Console → File Storage → Maximum File Size).",
};

export class MattermostClient {
  /** The REST API's base, `{url}/api/v4`. */
  readonly apiUrl: string;
  readonly url: string;
  private readonly opts: MattermostClientOptions;
  private readonly policy: MattermostRetryPolicy;

  constructor(opts: MattermostClientOptions) {
    this.opts = opts;
    this.url = opts.url.replace(/\/+$/, "");
    this.apiUrl = `${this.url}/api/v4`;
    this.policy = { ...DEFAULT_MATTERMOST_RETRY, ...opts.retry };
  }

  /** A JSON call under `/api/v4`, with the bot's token. */
  json(method: "POST" | "PUT", path: string, body: unknown): Promise<Record<string, unknown>> {
    return this.send(
      method,
      `${this.apiUrl}${path}`,
      { "content-type": "application/json" },
      JSON.stringify(body),
      true,
    );
  }

  /** A multipart call under `/api/v4` (a file upload). */
  multipart(path: string, form: FormData): Promise<Record<string, unknown>> {
    return this.send("POST", `${this.apiUrl}${path}`, {}, form, true);
  }

  /**
   * A command's `response_url` (`{url}/hooks/commands/{id}`): its id is its credential, so the
   * bot's token is not sent. https://developers.mattermost.com/integrate/slash-commands/custom/
   */
  hook(url: string, body: unknown): Promise<Record<string, unknown>> {
    return this.send("POST", url, { "content-type": "application/json" }, JSON.stringify(body), false);
  }

  private send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: BodyInit,
    withToken: boolean,
  ): Promise<Record<string, unknown>> {
    const doFetch = this.opts.fetch ?? fetch;
    const path = url.slice(this.url.length);
    const route = `${method} ${path.replace(/\/hooks\/commands\/[^/]+/, "/hooks/commands/…").replace(/\/[a-z0-9]{26}(?=\/|$)/g, "/{id}")}`;
    const auth: Record<string, string> = withToken ? { authorization: `Bearer ${this.opts.token}` } : {};
    return callWithRetries({
      route,
      policy: this.policy,
      // Mattermost posts are retried on a 5xx or a lost answer (its own `pending_post_id` dedupes a post).
      createsOnce: false,
      retriedLog: "mattermost call retried",
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      ...(this.opts.now ? { now: this.opts.now } : {}),
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      passes: (err) => err instanceof MattermostCallError,
      gaveUp: (failure, attempts) =>
        new MattermostCallError(
          route,
          failure.status,
          "",
          `Mattermost ${route} failed after ${attempts} attempt${attempts > 1 ? "s" : ""}: ${failure.detail}.`,
          true,
          failure.cause,
        ),
      attempt: async (signal): Promise<TryOutcome> => {
        const res = await doFetch(url, { method, headers: { ...headers, ...auth }, body, signal });
        const json = jsonObject(await res.text().catch(() => ""));
        if (res.status === 429)
          return { failure: { detail: "HTTP 429 (rate limited)", status: 429, retryAfterMs: retryAfterMs(res) } };
        if (res.status >= 500) return { failure: { detail: `HTTP ${res.status}`, status: res.status } };
        if (res.ok) return { json };
        const id = typeof json.id === "string" ? json.id : "";
        const said = typeof json.message === "string" ? json.message.slice(0, 200) : `HTTP ${res.status}`;
        const hint = HINTS[res.status];
        throw new MattermostCallError(
          route,
          res.status,
          id,
          `Mattermost ${route} failed: ${said} (${res.status}${id ? ` ${id}` : ""}).${hint ? ` ${hint}` : ""}`,
          false,
        );
      },
    });
  }
}

/** Retry-After (seconds), else X-RateLimit-Reset (seconds until the reset); 1 s when neither reads. */
function retryAfterMs(res: Response): number {
  for (const name of ["retry-after", "x-ratelimit-reset"]) {
    const raw = res.headers.get(name);
    const seconds = raw === null ? Number.NaN : Number(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  }
  return 1_000;
}
