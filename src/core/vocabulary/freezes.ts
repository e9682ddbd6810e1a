/** A freeze's target and limits: `all` is the whole fleet; durations in ms. */

export const FREEZE_ALL = "all";
export const DEFAULT_FREEZE_MS = 30 * 60_000;
export const MAX_FREEZE_MS = 24 * 60 * 60_000;
/** The furthest ahead a maintenance freeze may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
