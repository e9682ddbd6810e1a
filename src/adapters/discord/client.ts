import { ClawopsError } from "../../core/errors.ts";
import type { Logger } from "../../core/ports/basics.ts";
import { callWithRetries, jsonObject, type TryOutcome } from "../chat/retry.ts";

/**
 * The one HTTP client for Discord's REST API v10 (messages, threads, interaction webhooks).
 * fetch only, so it runs on Node and in workerd.
 * https://discord.com/developers/docs/reference#http-api
 *
 * Retries, inside one time budget per call (30 s by default):
 *  - HTTP 429: wait the body's `retry_after` (seconds, fractions allowed), else the
 *    `Retry-After` header; a global limit (`X-RateLimit-Global`, `global: true`) is waited the same way.
 *    https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit
 *  - HTTP 5xx and network failures: backoff 0.5 s, 1 s, 2 s … capped at 8 s, with jitter.
 *  - other 4xx are Discord's considered answer (`{code, message}`) and are not retried.
 * A POST that creates a message is retried only when Discord did not take it: a 429 (nothing
 * was done) or a 502/503/504 answered by its edge before the API; a 500 or a lost answer may have
 * posted, so it fails instead of posting twice. Edits (PATCH) are the same whether sent once or twice.
 */
export const DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10";

export interface DiscordRetryPolicy {
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_DISCORD_RETRY: DiscordRetryPolicy = { budgetMs: 30_000, baseDelayMs: 500, maxDelayMs: 8_000 };

export interface DiscordClientOptions {
  token: string;
  apiUrl?: string;
  logger?: Logger;
  fetch?: typeof fetch;
  retry?: Partial<DiscordRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A Discord call that failed for good: Discord's JSON error code, or the transient failure the budget ran out on. */
export class DiscordCallError extends ClawopsError {
  readonly route: string;
  readonly httpStatus: number;
  /** Discord's JSON error code (10003 Unknown Channel, 50001 Missing Access, 160004 thread exists …), 0 if none. */
  readonly discordCode: number;
  readonly transient: boolean;

  constructor(
    route: string,
    status: number,
    discordCode: number,
    message: string,
    transient: boolean,
    cause?: unknown,
  ) {
    super("discord_api", message, { status: 502, ...(cause === undefined ? {} : { cause }) });
    this.route = route;
    this.httpStatus = status;
    this.discordCode = discordCode;
    this.transient = transient;
  }
}

/** Words for Discord's codes an operator can act on. https://discord.com/developers/docs/topics/opcodes-and-status-codes#json */
const HINTS: Record<number, string> = {
  10003: "The channel does not exist or the bot cannot see it.",
  50001: "The bot lacks access to this channel: invite it, or give it View Channel there.",
  50013:
    "The bot lacks a permission here (Send Messages, Send Messages in Threads, Create Public Threads, Embed Links, Attach Files).",
  10015: "The interaction's token expired (15 min) or was never answered.",
  40001: "DISCORD_BOT_TOKEN is not accepted.",
};

export class DiscordClient {
  readonly apiUrl: string;
  private readonly opts: DiscordClientOptions;
  private readonly policy: DiscordRetryPolicy;

  constructor(opts: DiscordClientOptions) {
    this.opts = opts;
    this.apiUrl = (opts.apiUrl ?? DEFAULT_DISCORD_API_URL).replace(/\/+$/, "");
    this.policy = { ...DEFAULT_DISCORD_RETRY, ...opts.retry };
  }

  /**
   * A JSON call; `path` is under the API URL. Webhook calls (`/webhooks/{app}/{token}`) carry
   * no bot token: the interaction's token is their credential.
   */
  json(method: "POST" | "PATCH", path: string, body: unknown): Promise<Record<string, unknown>> {
    return this.send(method, path, { "content-type": "application/json" }, JSON.stringify(body));
  }

  /** A multipart call (a message with attached files). */
  multipart(path: string, form: FormData): Promise<Record<string, unknown>> {
    return this.send("POST", path, {}, form);
  }

  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: BodyInit,
  ): Promise<Record<string, unknown>> {
    const doFetch = this.opts.fetch ?? fetch;
    const route = `${method} ${path.replace(/\/webhooks\/(\d+)\/[^/]+/, "/webhooks/$1/…")}`;
    const auth: Record<string, string> = path.startsWith("/webhooks/")
      ? {}
      : { authorization: `Bot ${this.opts.token}` };
    return callWithRetries({
      route,
      policy: this.policy,
      createsOnce: method === "POST",
      retriedLog: "discord call retried",
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      ...(this.opts.now ? { now: this.opts.now } : {}),
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      passes: (err) => err instanceof DiscordCallError,
      gaveUp: (failure, attempts, why) =>
        new DiscordCallError(
          route,
          failure.status,
          0,
          `Discord ${route} failed after ${attempts} attempt${attempts > 1 ? "s" : ""}: ${failure.detail}${why}.`,
          true,
          failure.cause,
        ),
      attempt: async (signal): Promise<TryOutcome> => {
        const res = await doFetch(`${this.apiUrl}${path}`, {
          method,
          headers: { ...headers, ...auth, "user-agent": "DiscordBot (clawops, 1)" },
          body,
          signal,
        });
        const json = jsonObject(await res.text().catch(() => ""));
        if (res.status === 429) {
          const global = res.headers.get("x-ratelimit-global") === "true" || json.global === true;
          return {
            failure: {
              detail: `HTTP 429${global ? " (global rate limit)" : ""}`,
              status: 429,
              retryAfterMs: retryAfterMs(json, res),
              mayHaveActed: false,
            },
          };
        }
        // 502–504 come from Discord's edge before the API took the request; a 500 may have acted.
        if (res.status >= 500)
          return { failure: { detail: `HTTP ${res.status}`, status: res.status, mayHaveActed: res.status === 500 } };
        if (res.ok) return { json };
        const code = typeof json.code === "number" ? json.code : 0;
        const said = typeof json.message === "string" ? json.message.slice(0, 200) : `HTTP ${res.status}`;
        const hint = HINTS[code];
        throw new DiscordCallError(
          route,
          res.status,
          code,
          `Discord ${route} failed: ${said} (${code || res.status}).${hint ? ` ${hint}` : ""}`,
          false,
        );
      },
    });
  }
}

/** The body's `retry_after` (seconds, e.g. 0.35), else Retry-After; 1 s when neither reads. */
function retryAfterMs(json: Record<string, unknown>, res: Response): number {
  if (typeof json.retry_after === "number" && json.retry_after >= 0) return Math.ceil(json.retry_after * 1000);
  const header = Number(res.headers.get("retry-after"));
  return Number.isFinite(header) && header >= 0 ? Math.ceil(header * 1000) : 1_000;
}
