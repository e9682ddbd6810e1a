import type { Clock, LogFields, Logger } from "../ports/basics.ts";

/**
 * One counted log line per interval instead of one line per event, for events that come in
 * storms (alerts for unknown hosts, alerts counted on an open incident): the first of a kind in
 * an interval is logged as it comes, the rest are counted and logged as one line with the count
 * when the interval ends, at the next event or at `flush()` (the control plane's periodic work).
 */

/** How long one counted line covers. */
export const TALLY_INTERVAL_MS = 60_000;

interface Window {
  start: number;
  /** Events after the first, not yet logged. */
  more: number;
  level: "info" | "warn" | "error";
  message: string;
  fields: LogFields;
}

export class LogTally {
  private readonly windows = new Map<string, Window>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly intervalMs: number;

  constructor(logger: Logger, clock: Clock, intervalMs = TALLY_INTERVAL_MS) {
    this.logger = logger;
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  /** One event of `key`: logged now if it is the first in its interval, else counted. */
  add(level: "info" | "warn" | "error", key: string, message: string, fields: LogFields = {}, count = 1): void {
    const now = this.clock.now();
    const open = this.windows.get(key);
    if (open && now - open.start < this.intervalMs) {
      open.more += count;
      return;
    }
    if (open) this.close(key, open);
    this.logger[level](message, { ...fields, count });
    this.windows.set(key, { start: now, more: 0, level, message, fields });
  }

  /** Logs the count of every interval that has ended (all of them with `all`). */
  flush(all = false): void {
    const now = this.clock.now();
    for (const [key, w] of this.windows) {
      if (all || now - w.start >= this.intervalMs) this.close(key, w);
    }
  }

  private close(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.more === 0) return;
    this.logger[w.level](`${w.message} (${w.more} more in ${Math.round(this.intervalMs / 1000)} s)`, {
      ...w.fields,
      count: w.more,
    });
  }
}

const tallies = new WeakMap<Logger, LogTally>();

/** The tally of this logger (one per control plane, as its logger is). */
export function logTally(deps: { logger: Logger; clock: Clock }): LogTally {
  let tally = tallies.get(deps.logger);
  if (!tally) {
    tally = new LogTally(deps.logger, deps.clock);
    tallies.set(deps.logger, tally);
  }
  return tally;
}
