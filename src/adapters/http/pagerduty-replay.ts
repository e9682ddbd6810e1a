import type { Store } from "../../core/ports/store.ts";

/**
 * PagerDuty's v3 signature covers the body alone, with no timestamp (issue 32, item 6): a body
 * captured once verifies forever, and the alerts' own memory (7 days, by incident) forgets it in
 * time. So each event is taken once, by its own id and its own time:
 *
 * - an event whose `occurred_at` is more than PAGERDUTY_EVENT_MAX_AGE_MS ago (or more than the
 *   skew ahead) is refused: a delivery, retries included, arrives well within a day;
 * - an event id is remembered until its `occurred_at` is that old (plus the skew), so within the
 *   window a replay finds its id taken, and after it the age refuses it.
 */
export const PAGERDUTY_EVENT_MAX_AGE_MS = 24 * 3_600_000;
/** How far PagerDuty's clock and this control plane's may disagree. */
export const PAGERDUTY_CLOCK_SKEW_MS = 5 * 60_000;

export type PagerDutyEventCheck = { fresh: true; release: () => Promise<void> } | { fresh: false; reason: string };

/** Claims the event's id (released if its handling fails before it is answered), or says why it is refused. */
export async function claimPagerDutyEvent(
  store: Pick<Store, "claim" | "release">,
  event: { id: string; occurred_at: string },
  now: number,
): Promise<PagerDutyEventCheck> {
  const at = Date.parse(event.occurred_at);
  if (!Number.isFinite(at)) return { fresh: false, reason: `event ${event.id} has no readable occurred_at` };
  if (at < now - PAGERDUTY_EVENT_MAX_AGE_MS) {
    return {
      fresh: false,
      reason: `event ${event.id} occurred at ${event.occurred_at}, more than ${PAGERDUTY_EVENT_MAX_AGE_MS / 3_600_000} h ago: refused as a possible replay`,
    };
  }
  if (at > now + PAGERDUTY_CLOCK_SKEW_MS) {
    return { fresh: false, reason: `event ${event.id} occurred at ${event.occurred_at}, in the future: refused` };
  }
  const key = `pagerduty-event:${event.id}`;
  const until = at + PAGERDUTY_EVENT_MAX_AGE_MS + PAGERDUTY_CLOCK_SKEW_MS;
  if (!(await store.claim(key, now, until))) {
    return { fresh: false, reason: `event ${event.id} was received already` };
  }
  return { fresh: true, release: () => store.release(key, until) };
}
