import type { IncidentBook, OutboxItem } from "../ports/incident-book.ts";

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

/** What a failed try settles with: due again after the backoff, or given up. */
export interface FailedTry {
  /** This try's number (the item's attempts + 1). */
  attempts: number;
  retry: boolean;
}

/**
 * Settles an outbox item whose try just failed, as every kind does (pages, escalation steps,
 * thread posts, ticket write-backs): pending again after the backoff (or the far end's
 * Retry-After) while it may be retried and tries are left, else failed; `told` marks its first
 * failure as said.
 */
export async function settleFailedTry(
  book: Pick<IncidentBook, "settleOutbox">,
  item: Pick<OutboxItem, "id" | "attempts">,
  now: number,
  failure: { error: string; retryable?: boolean; retryAfterMs?: number | null; told?: boolean },
): Promise<FailedTry> {
  const attempts = item.attempts + 1;
  const retry = (failure.retryable ?? true) && attempts < MAX_ATTEMPTS;
  await book.settleOutbox(item.id, {
    attempts,
    lastError: failure.error.slice(0, 500),
    ...(retry
      ? { state: "pending", nextAt: now + backoffMs(attempts, failure.retryAfterMs ?? null) }
      : { state: "failed", doneAt: now }),
    ...(failure.told ? { told: true } : {}),
  });
  return { attempts, retry };
}
