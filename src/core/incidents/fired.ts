import type { SignalFate } from "../ports/incident-book.ts";

/** What fired, grouped: one row per distinct signal (source and summary) with its count and first/last time. */
export interface FiredSignal {
  source: string;
  summary: string;
  count: number;
  first: number;
  last: number;
  fates: string[];
}

export function distinctSignals(signals: readonly SignalFate[]): FiredSignal[] {
  const by = new Map<string, FiredSignal>();
  for (const s of signals) {
    const key = `${s.source}\u0000${s.summary}`;
    const row = by.get(key);
    if (!row) {
      by.set(key, { source: s.source, summary: s.summary, count: s.count, first: s.at, last: s.at, fates: [s.fate] });
      continue;
    }
    row.count += s.count;
    row.first = Math.min(row.first, s.at);
    row.last = Math.max(row.last, s.at);
    if (!row.fates.includes(s.fate)) row.fates.push(s.fate);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.first - b.first);
}
