/**
 * What the chat clients (Slack, Discord, Mattermost) share when a call fails and is tried again:
 * one backoff, one way to read an error for a person, one lenient JSON read. How each API says
 * "wait" (Retry-After, a body's retry_after, X-RateLimit-Reset) stays in its own client.
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
