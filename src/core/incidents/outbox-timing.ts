/** The outbox's timing, shared by every kind it delivers (pages, escalations, thread posts). */

/** Tries per delivery before it is given up: about 20 minutes with the backoff below. */
export const MAX_ATTEMPTS = 8;
/** A claimed delivery is someone's for this long: a drain that died leaves it due again after. */
export const LEASE_MS = 60_000;

/** The wait before try `attempt + 1`: 10 s, 20 s, 40 s … capped at 15 min, or the far end's Retry-After. */
export function backoffMs(attempt: number, retryAfterMs: number | null): number {
  const exp = Math.min(10_000 * 2 ** Math.max(0, attempt - 1), 15 * 60_000);
  return Math.max(exp, retryAfterMs ?? 0);
}
