import { ClawopsError } from "../../core/errors.ts";
import type { Logger } from "../../core/ports/basics.ts";
import type { Metrics } from "../../core/ports/metrics.ts";
import { type CallFailure, callWithRetries, type TryOutcome } from "../chat/retry.ts";
import { slackErrorHint } from "./error-hints.ts";

/**
 * The one HTTP client for every Slack call: Web API methods (chat.postMessage, chat.update,
 * files.*, usergroups.users.list), the raw upload to an `upload_url`, and replies to a
 * command's `response_url`. fetch only, so it runs on Node and in workerd.
 *
 * Retry policy, all inside one time budget per call (30 s by default):
 *  - HTTP 429: wait what `Retry-After` says (Slack sends seconds; rate limits are per method,
 *    https://api.slack.com/apis/rate-limits), then again;
 *  - HTTP 5xx and network failures (reset, refused, DNS, a request that hangs): exponential
 *    backoff with jitter (0.5 s, 1 s, 2 s … capped at 8 s);
 *  - `ok:false` answers (not_in_channel, channel_not_found, invalid_auth, …) are Slack's
 *    considered answer and are not retried: they throw a `SlackCallError` naming Slack's code.
 * A wait that would end past the budget is not started: the call fails at once instead.
 * A retried chat.postMessage may post twice when the first attempt reached Slack but its
 * answer was lost; Slack has no idempotency key for it, and a doubled line beats a lost job.
 */
export const DEFAULT_SLACK_API_URL = "https://slack.com/api";

export interface SlackRetryPolicy {
  /** Total time one call may take, attempts and waits included. */
  budgetMs: number;
  /** First backoff after a 5xx or a network error; doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SLACK_RETRY: SlackRetryPolicy = { budgetMs: 30_000, baseDelayMs: 500, maxDelayMs: 8_000 };

export interface SlackClientOptions {
  token: string;
  apiUrl?: string;
  logger?: Logger;
  /** Counts calls that failed for good and retries (slack_api_errors_total, slack_api_retries_total). */
  metrics?: Metrics;
  fetch?: typeof fetch;
  retry?: Partial<SlackRetryPolicy>;
  /** Injected in tests to make waits short; still told the real wait, to assert on it. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A Slack call that failed for good: Slack's own error code, or the transient one the budget ran out on. */
export class SlackCallError extends ClawopsError {
  /** What was called: a Web API method, `upload` or `response_url`. */
  readonly method: string;
  /** Slack's `error` (`not_in_channel`), else `ratelimited`, `http_<status>` or `network`. */
  readonly slackError: string;
  /** The failure was transient (rate limit, 5xx, network) and the time budget ran out. */
  readonly transient: boolean;

  constructor(method: string, slackError: string, message: string, opts: { transient: boolean; cause?: unknown }) {
    super("slack_api", message, { status: 502, ...(opts.cause === undefined ? {} : { cause: opts.cause }) });
    this.method = method;
    this.slackError = slackError;
    this.transient = opts.transient;
  }
}

export class SlackClient {
  readonly apiUrl: string;
  private readonly opts: SlackClientOptions;
  private readonly policy: SlackRetryPolicy;

  constructor(opts: SlackClientOptions) {
    this.opts = opts;
    this.apiUrl = (opts.apiUrl ?? DEFAULT_SLACK_API_URL).replace(/\/+$/, "");
    this.policy = { ...DEFAULT_SLACK_RETRY, ...opts.retry };
  }

  /** A Web API method with a JSON body (chat.*) or form-encoded arguments (files.*, usergroups.*). */
  async api(
    method: string,
    args: Record<string, unknown>,
    encoding: "json" | "form" = "json",
  ): Promise<Record<string, unknown>> {
    const init = {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.opts.token}`,
        "content-type":
          encoding === "json" ? "application/json; charset=utf-8" : "application/x-www-form-urlencoded; charset=utf-8",
      },
      body:
        encoding === "json"
          ? JSON.stringify(args)
          : new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)])).toString(),
    };
    const channel = typeof args.channel === "string" ? args.channel : args.channel_id;
    return this.send(method, `${this.apiUrl}/${method}`, init, async (res) => {
      const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (body?.ok === true) return body;
      const error = typeof body?.error === "string" ? body.error : `http_${res.status}`;
      const needed = typeof body?.needed === "string" ? body.needed : undefined;
      throw this.refused(method, error, typeof channel === "string" ? channel : undefined, needed);
    });
  }

  /** A POST without the bot token (an `upload_url`, a `response_url`); any 2xx is success. */
  async post(what: string, url: string, body: BodyInit, contentType: string): Promise<void> {
    await this.send(what, url, { method: "POST", headers: { "content-type": contentType }, body }, async (res) => {
      const text = (await res.text().catch(() => "")).trim();
      if (res.ok) return;
      // response_url answers e.g. 404 `expired_url` / `used_url` (30 min, 5 uses per command).
      const error = /^[a-z_]{1,40}$/.test(text) ? text : `http_${res.status}`;
      throw this.refused(what, error, undefined, undefined);
    });
  }

  private refused(method: string, error: string, channel: string | undefined, needed: string | undefined) {
    this.opts.metrics?.count("slack_api_errors_total", { method, error });
    const hint = slackErrorHint(error, { channel, needed });
    return new SlackCallError(method, error, `Slack ${method} failed: ${error}.${hint ? ` ${hint}` : ""}`, {
      transient: false,
    });
  }

  /** One call inside the retry budget (src/adapters/chat/retry.ts): 429 and 5xx are tried again, as is a try that got no answer. */
  private async send<T>(
    what: string,
    url: string,
    init: RequestInit,
    interpret: (res: Response) => Promise<T>,
  ): Promise<T> {
    const doFetch = this.opts.fetch ?? fetch;
    const now = this.opts.now ?? (() => Date.now());
    const started = now();
    const { metrics } = this.opts;
    return callWithRetries<T>({
      route: what,
      policy: this.policy,
      // Slack has no idempotency key: a lost answer is tried again (see the top of this file).
      createsOnce: false,
      retriedLog: "slack call retried",
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      now,
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      passes: (err) => err instanceof SlackCallError,
      onRetry: (failure) => metrics?.count("slack_api_retries_total", { method: what, error: slackCode(failure) }),
      gaveUp: (failure, attempts) => {
        const code = slackCode(failure);
        metrics?.count("slack_api_errors_total", { method: what, error: code });
        const seconds = Math.round((now() - started) / 100) / 10;
        const hint = slackErrorHint(code, {});
        return new SlackCallError(
          what,
          code,
          `Slack ${what} failed after ${attempts} attempt${attempts > 1 ? "s" : ""} in ${seconds} s: ${failure.detail}.${hint ? ` ${hint}` : ""}`,
          { transient: true, cause: failure.cause },
        );
      },
      attempt: async (signal): Promise<TryOutcome<T>> => {
        const res = await doFetch(url, { ...init, signal });
        if (res.status !== 429 && res.status < 500) return { json: await interpret(res) };
        const failure: CallFailure =
          res.status === 429
            ? { code: "ratelimited", detail: "HTTP 429", status: 429, retryAfterMs: retryAfterMs(res, now()) }
            : { code: `http_${res.status}`, detail: `HTTP ${res.status}`, status: res.status };
        // Free the connection (workerd keeps a response's socket until its body is read).
        await res.body?.cancel().catch(() => undefined);
        return { failure };
      },
    });
  }
}

/** Slack's name for a failed try: its own (`ratelimited`, `http_503`), else `network`. */
function slackCode(failure: CallFailure): string {
  return failure.code ?? "network";
}

/** Retry-After in seconds (what Slack sends) or an HTTP date; 1 s when absent or unreadable. */
function retryAfterMs(res: Response, now: number): number {
  const raw = res.headers.get("retry-after")?.trim() ?? "";
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? 1_000 : Math.max(0, at - now);
}
