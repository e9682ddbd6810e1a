import type { MemoryOutlook } from "../../contract/catalog.ts";

/**
 * The agent's own samples of its gateway, kept in memory across jobs: one per watch probe (every
 * 30 s) and per job that runs `gateway.vitals`. A restart of the gateway (another pid) or of the
 * agent starts over: a trend needs the same process throughout. A few kilobytes at most.
 */

type Sample = { at: number; value: number };

/** At most this many memory samples, at least this far apart: over 3 h at the watch's 30 s. */
const MEMORY_SAMPLES = 400;
const MEMORY_MIN_SPACING_MS = 25_000;
/** The slope reads this much history at most. */
const MEMORY_WINDOW_MS = 6 * 60 * 60 * 1000;
/** Fewer than this (or a shorter span) and there is no slope yet. */
const MEMORY_MIN_SAMPLES = 6;
const MEMORY_MIN_SPAN_MS = 5 * 60 * 1000;

const LATENCY_SAMPLES = 20;
const LATENCY_MIN_BASELINE = 3;
/** Slow: at least this round trip, and this many times the baseline. */
export const SLOW_MIN_MS = 1_000;
export const SLOW_FACTOR = 5;
const SLOW_STREAK_CAP = 5;

type Series = { memory: Sample[]; heap: Sample[]; latency: number[]; slowStreak: number };

/** By gateway pid; the oldest go first (a restarted gateway is a new pid, and a new trend). */
const series = new Map<number, Series>();
const MAX_SERIES = 4;

function seriesFor(pid: number): Series {
  let s = series.get(pid);
  if (!s) {
    while (series.size >= MAX_SERIES) series.delete(series.keys().next().value as number);
    s = { memory: [], heap: [], latency: [], slowStreak: 0 };
    series.set(pid, s);
  }
  return s;
}

export type MemoryTrend = {
  samples: number;
  spanMs: number;
  slopeBytesPerHour: number | null;
};

/** Adds a resident-size sample of gateway `pid` (kept at most one per 25 s) and returns the trend. */
export function noteMemory(pid: number, at: number, bytes: number): MemoryTrend {
  return note(seriesFor(pid).memory, at, bytes);
}

/** Adds a V8 heap sample (`status` RPC's processMemory.heapUsed) of gateway `pid`. */
export function noteHeap(pid: number, at: number, bytes: number): MemoryTrend {
  return note(seriesFor(pid).heap, at, bytes);
}

/** The heap trend and the newest heap sample of `pid`, without adding one. */
export function heapTrend(pid: number, at: number): MemoryTrend & { lastBytes: number | null } {
  const samples = series.get(pid)?.heap ?? [];
  return { ...trendOf(samples, at), lastBytes: samples.at(-1)?.value ?? null };
}

function note(samples: Sample[], at: number, value: number): MemoryTrend {
  const last = samples.at(-1);
  if (!last || at - last.at >= MEMORY_MIN_SPACING_MS) samples.push({ at, value });
  else last.value = value;
  while (samples.length > MEMORY_SAMPLES || (samples[0] && at - samples[0].at > MEMORY_WINDOW_MS)) samples.shift();
  return trendOf(samples, at);
}

function trendOf(samples: readonly Sample[], at: number): MemoryTrend {
  const first = samples[0];
  const spanMs = first ? at - first.at : 0;
  const enough = samples.length >= MEMORY_MIN_SAMPLES && spanMs >= MEMORY_MIN_SPAN_MS;
  return { samples: samples.length, spanMs, slopeBytesPerHour: enough ? slopePerHour(samples) : null };
}

/** Least-squares slope, bytes per hour: every sample weighs the same, so one spike moves it little. */
export function slopePerHour(samples: readonly Sample[]): number {
  const n = samples.length;
  const t0 = samples[0]?.at ?? 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const { at, value } of samples) {
    const x = (at - t0) / 3_600_000;
    sx += x;
    sy += value;
    sxx += x * x;
    sxy += x * value;
  }
  const d = n * sxx - sx * sx;
  return d === 0 ? 0 : (n * sxy - sx * sy) / d;
}

/** Hours until `current` reaches `limit` at `slope` (per hour); null without a limit or growth. */
export function hoursUntil(limit: number | null, current: number, slope: number | null): number | null {
  if (limit === null || slope === null || slope <= 0) return null;
  return Math.max(0, (limit - current) / slope);
}

export function memoryOutlook(hoursLeft: number | null, slopeKnown: boolean): MemoryOutlook {
  if (!slopeKnown) return "unknown";
  if (hoursLeft === null || hoursLeft > 72) return "steady";
  if (hoursLeft <= 6) return "limit-within-6h";
  if (hoursLeft <= 24) return "limit-within-24h";
  return "limit-within-72h";
}

export type LatencyTrend = { baselineMs: number | null; samples: number; slowStreak: number };

/**
 * Adds this probe's round trip (null: no answer, which neither counts as a sample nor breaks a
 * streak) and returns the baseline of the samples before it and the slow streak.
 */
export function noteLatency(pid: number, ms: number | null): LatencyTrend {
  const s = seriesFor(pid);
  const baselineMs = s.latency.length >= LATENCY_MIN_BASELINE ? median(s.latency) : null;
  if (ms !== null) {
    const slow = baselineMs !== null && ms >= SLOW_MIN_MS && ms >= SLOW_FACTOR * baselineMs;
    s.slowStreak = slow ? Math.min(SLOW_STREAK_CAP, s.slowStreak + 1) : 0;
    // A slow sample never joins the baseline: a round trip of a second or more to /readyz is not
    // a gateway's normal, however long it lasts.
    if (!slow) s.latency.push(ms);
    if (s.latency.length > LATENCY_SAMPLES) s.latency.shift();
  }
  return { baselineMs, samples: s.latency.length, slowStreak: s.slowStreak };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Tests only: forget every series. */
export function resetVitalSamples(): void {
  series.clear();
}
