/**
 * What the chat clients (Slack, Discord, Mattermost, Teams) share when a call fails and is tried again:
 * one backoff, one way to read an error for a person, one lenient JSON read, and one retry loop.
 * How each API says "wait" (Retry-After, a body's retry_after, X-RateLimit-Reset) and "no" stays
 * in its own client.
 */

/** The part of a client's retry policy the backoff reads. */
export interface BackoffPolicy {
  /** First wait after a 5xx or a network error; doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The wait before try `attempt + 1`, jittered (half to full) so many jobs hit by one outage do not retry in step. */
export function jitteredBackoff(policy: BackoffPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + (Math.random() * base) / 2);
}

/** A failed fetch for a person: undici puts the socket error (ECONNRESET, …) in `cause`; a timeout says so. */
export function fetchErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${(err.cause as { code?: string }).code ?? err.cause.message})` : "";
  return `${err.name === "TimeoutError" ? "no answer in time" : err.message}${cause}`;
}

/** A body read as JSON (an object, or an array some routes answer); `{}` for anything else (an HTML error page, empty). */
export function jsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A try that did not get the API's answer, or got one that says "later". */
export interface CallFailure {
  /** For a person: `HTTP 503`, `HTTP 429 (rate limited)`, a socket error. */
  detail: string;
  /** The HTTP status, 0 when none came back. */
  status: number;
  /** The API's own name for it, where the client has one (Slack's `ratelimited`, `http_503`); `network` for a try that got no answer. */
  code?: string;
  /** The API's own wait (Retry-After, a body's retry_after); absent: the backoff decides. */
  retryAfterMs?: number;
  cause?: unknown;
  /** The request may have been acted on (a 500, a lost answer): a create is not sent again. */
  mayHaveActed?: boolean;
}

/** One try's answer: what it read (the JSON, as a rule), or a failure worth trying again within the budget. */
export type TryOutcome<T = Record<string, unknown>> = { json: T } | { failure: CallFailure };

/** One call to a chat's REST API, tried again on what the API says is temporary, inside one time budget. */
export interface RetriedCall<T = Record<string, unknown>> {
  /** `POST /channels/{id}/messages`: the call as logs and errors name it (no ids, no tokens). */
  route: string;
  policy: BackoffPolicy & { budgetMs: number };
  /** A create without an idempotency key: once it may have acted, it fails rather than posting twice. */
  createsOnce: boolean;
  /** One try; `signal` aborts it when the budget runs out. A considered refusal is thrown (and passes through `passes`). */
  attempt(signal: AbortSignal): Promise<TryOutcome<T>>;
  /** An error `attempt` threw on purpose (the API's refusal, a missing credential): thrown as it is, not retried. */
  passes(err: unknown): boolean;
  /** The error for a call given up: its last failure, the tries it took, and " (not retried: …)" when that is why. */
  gaveUp(failure: CallFailure, attempts: number, why: string): Error;
  logger?: { warn(msg: string, fields?: Record<string, unknown>): void };
  /** The log line of a retry, e.g. "discord call retried". */
  retriedLog: string;
  /** Told of each retry before its wait (Slack counts them). */
  onRetry?: (failure: CallFailure) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The retry loop the chat clients share: each try bounded by what is left of the budget, a
 * network error read as a failure that may have acted, the API's wait or the jittered backoff
 * between tries, and the call given up when the next wait would pass the budget (or at once, for
 * a create that may already have posted). How each API says "later" and "no" stays in the
 * client's `attempt`; Slack retries a create too (it has no idempotency key, and a doubled line
 * beats a lost job).
 */
export async function callWithRetries<T = Record<string, unknown>>(c: RetriedCall<T>): Promise<T> {
  const now = c.now ?? (() => Date.now());
  const sleep = c.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + c.policy.budgetMs;
  let previous: CallFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    let failure: CallFailure;
    // A request that hangs must not outlast the budget either. A timer cleared when the try
    // ends, not AbortSignal.timeout: that one stays pending for the whole budget, and a pending
    // timer keeps a Durable Object from hibernating.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error("the call budget ran out")), Math.max(1, deadline - now()));
    try {
      const out = await c.attempt(abort.signal);
      if ("json" in out) return out.json;
      failure = out.failure;
    } catch (err) {
      if (c.passes(err)) throw err;
      failure = { detail: fetchErrorText(err), status: 0, code: "network", cause: err, mayHaveActed: true };
      // The budget ending a try cut short says nothing of the API: the earlier tries' failure does.
      if (abort.signal.aborted && previous) {
        failure = {
          ...failure,
          detail: `${previous.detail}, then the call budget ran out`,
          status: previous.status,
          ...(previous.code === undefined ? {} : { code: previous.code }),
        };
      }
    } finally {
      clearTimeout(timer);
    }
    previous = failure;
    const wait = failure.retryAfterMs ?? jitteredBackoff(c.policy, attempt);
    const notAgain = c.createsOnce && failure.mayHaveActed === true;
    if (notAgain || now() + wait >= deadline) {
      throw c.gaveUp(failure, attempt, notAgain ? " (not retried: it may have been posted)" : "");
    }
    c.logger?.warn(c.retriedLog, {
      route: c.route,
      attempt,
      status: failure.status,
      ...(failure.code === undefined ? {} : { error: failure.code }),
      waitMs: wait,
    });
    c.onRetry?.(failure);
    await sleep(wait);
  }
}
