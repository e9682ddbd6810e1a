import type { FlapWindow, HeldHealth, WatchObservation, WatchRecord } from "../ports/watch-record.ts";

/**
 * The watch's bookkeeping per host, free of any I/O (docs/watch.md). Each probe the agent
 * reports (a `watch.state`, or a `watch.digest` saying the last one still holds) is an
 * observation: healthy, or failing (a layer fails, or a check operators trust is a false
 * green). A change of health that holds for two probes in a row is a transition. The first
 * failing transition opens a flap window: the recovery after it is posted, but any later
 * transition inside the window is counted instead, and the window's end posts one summary
 * (and starts another window while the host keeps flipping).
 */

export interface WatchSettings {
  /** Probes in a row a new health must hold before it is a transition. */
  holdProbes: number;
  /** Flap window, ms. */
  flapWindowMs: number;
  /** The agent's probe interval and digest period, ms: a host silent for longer is stale. */
  intervalMs: number;
  digestMs: number;
  /**
   * How long a stale agent (disconnected, or silent past its digest period) may stay away
   * before it is "agent lost": long enough for a restart or an upgrade to come back.
   */
  lostAfterMs: number;
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = {
  holdProbes: 2,
  flapWindowMs: 600_000,
  intervalMs: 30_000,
  digestMs: 600_000,
  lostAfterMs: 90_000,
};

/** A held change of health, and what to do about it. */
export interface WatchTransition {
  host: string;
  healthy: boolean;
  /** When the new health began (its first probe). */
  since: number;
  /** When it held. */
  at: number;
  findingIds: string[];
  reason: string;
  falseGreen: string | null;
  /** When the failing state that just ended began (recoveries only). */
  failingSince: number | null;
  /** `post`: say it in the thread; `suppressed`: inside a flap window, counted for its summary. */
  action: "post" | "suppressed";
}

/** A flap window that ended with suppressed transitions: one summary message. */
export interface FlapSummary {
  host: string;
  window: FlapWindow;
  end: number;
  /** The held health when the window ended. */
  now: HeldHealth | null;
}

/** Applies one probe's observation. */
export function observe(
  prev: WatchRecord | null,
  host: string,
  obs: WatchObservation,
  now: number,
  settings: WatchSettings,
): { record: WatchRecord; transition: WatchTransition | null } {
  const run =
    prev && prev.run.healthy === obs.healthy
      ? { ...prev.run, count: prev.run.count + 1 }
      : { healthy: obs.healthy, since: obs.at, count: 1 };
  const record: WatchRecord = {
    host,
    last: obs,
    run,
    held: prev?.held ?? null,
    failingSince: prev?.failingSince ?? null,
    reportedAt: now,
    stale: null,
    lost: null,
    flap: prev?.flap ?? null,
  };
  return hold(record, now, settings);
}

/**
 * A digest: the agent's last state still holds (same hash) on a later probe. A digest whose
 * hash is not the stored one (the control plane lost a state) only refreshes the time.
 */
export function confirm(
  prev: WatchRecord,
  digest: { at: number; seq: number; hash: string },
  now: number,
  settings: WatchSettings,
): { record: WatchRecord; transition: WatchTransition | null } {
  if (digest.hash !== prev.last.hash) {
    return { record: { ...prev, reportedAt: now, stale: null, lost: null }, transition: null };
  }
  const record: WatchRecord = {
    ...prev,
    last: { ...prev.last, at: digest.at, seq: digest.seq },
    run: { ...prev.run, count: prev.run.count + 1 },
    reportedAt: now,
    stale: null,
    lost: null,
  };
  return hold(record, now, settings);
}

function hold(
  record: WatchRecord,
  now: number,
  settings: WatchSettings,
): { record: WatchRecord; transition: WatchTransition | null } {
  const { run, last } = record;
  if (run.count < settings.holdProbes) return { record, transition: null };
  if (record.held && record.held.healthy === run.healthy) {
    // Still the held health: keep its findings current (the failure may have changed shape).
    record.held = { ...record.held, findingIds: last.findingIds, reason: last.reason };
    return { record, transition: null };
  }
  const first = record.held === null;
  record.held = { healthy: run.healthy, since: run.since, at: now, findingIds: last.findingIds, reason: last.reason };
  const failingSince = record.failingSince;
  record.failingSince = run.healthy ? null : run.since;
  // The first health ever seen, healthy: nothing happened worth saying.
  if (first && run.healthy) return { record, transition: null };
  const transition: WatchTransition = {
    host: record.host,
    healthy: run.healthy,
    since: run.since,
    at: now,
    findingIds: last.findingIds,
    reason: last.reason,
    falseGreen: last.falseGreen,
    failingSince: run.healthy ? failingSince : null,
    action: "post",
  };
  const window = record.flap && now - record.flap.start < settings.flapWindowMs ? record.flap : null;
  if (!window) {
    // A failing transition opens a window; a recovery outside any window is simply posted.
    record.flap = run.healthy ? null : { start: now, recovered: false, suppressed: 0, moments: [] };
    return { record, transition };
  }
  // Inside the window: the first recovery after the failure that opened it is posted; a
  // second failure (the flap) and everything after it are counted for the window's summary.
  if (run.healthy && window.suppressed === 0 && !window.recovered) {
    record.flap = { ...window, recovered: true };
    return { record, transition };
  }
  record.flap = {
    ...window,
    suppressed: window.suppressed + 1,
    moments: [...window.moments, { healthy: run.healthy, at: run.since }].slice(-20),
  };
  return { record, transition: { ...transition, action: "suppressed" } };
}

/**
 * Time passes (a sweep every few seconds): a host silent past its digest period is stale; a
 * host stale for longer than `lostAfterMs` is `lost` (the caller decides whether to tell it and
 * records `lost` on the record); a flap window that ended yields its summary (a new window
 * starts while it keeps flipping).
 */
export function sweep(
  record: WatchRecord,
  now: number,
  settings: WatchSettings,
): { record: WatchRecord; summary: FlapSummary | null; changed: boolean; lost: boolean } {
  let changed = false;
  let next = record;
  const silentFor = now - record.reportedAt;
  if (!record.stale && silentFor > settings.digestMs + 2 * settings.intervalMs) {
    next = { ...next, stale: { reason: "no report from its agent since", at: record.reportedAt } };
    changed = true;
  }
  // Stale for longer than a restart takes: the agent is lost (said once, until it reports again).
  const lost = next.stale !== null && !next.lost && now >= lostAt(next, settings);
  let summary: FlapSummary | null = null;
  if (next.flap && now - next.flap.start >= settings.flapWindowMs) {
    if (next.flap.suppressed > 0) {
      summary = { host: next.host, window: next.flap, end: now, now: next.held };
      // Still flipping: the next window starts now, and counts everything (one summary per window).
      next = { ...next, flap: { start: now, recovered: true, suppressed: 0, moments: [] } };
    } else {
      next = { ...next, flap: null };
    }
    changed = true;
  }
  return { record: next, summary, changed, lost };
}

/** When a stale record's agent counts as lost: its silence began, plus the restart allowance. */
function lostAt(record: WatchRecord, settings: WatchSettings): number {
  return (record.stale?.at ?? record.reportedAt) + settings.lostAfterMs;
}

/**
 * When `sweep` next changes `record` if no frame comes first: the end of its open flap window,
 * (while fresh) the moment its agent has been silent past the digest period plus two intervals,
 * or (while stale) the moment it counts as lost. A runtime without a periodic sweep (a Durable
 * Object's alarm) wakes then.
 */
export function nextSweepAt(record: WatchRecord, settings: WatchSettings): number | null {
  const due: number[] = [];
  if (record.flap) due.push(record.flap.start + settings.flapWindowMs);
  // `sweep` marks silence strictly after the period: 1 ms past it.
  if (!record.stale) due.push(record.reportedAt + settings.digestMs + 2 * settings.intervalMs + 1);
  else if (!record.lost) due.push(lostAt(record, settings));
  return due.length > 0 ? Math.min(...due) : null;
}

/** The agent went away: its last state may no longer hold. */
export function markStale(record: WatchRecord, reason: string, now: number): WatchRecord {
  return { ...record, stale: { reason, at: now } };
}

/** A stored state as a status row sees it: fresh, or stale with why. */
export function freshness(
  record: WatchRecord,
  now: number,
  settings: Pick<WatchSettings, "intervalMs" | "digestMs">,
): { stale: boolean; why: string | null } {
  if (record.stale) return { stale: true, why: record.stale.reason };
  if (now - record.reportedAt > settings.digestMs + 2 * settings.intervalMs) {
    return { stale: true, why: "no report from its agent since" };
  }
  return { stale: false, why: null };
}
