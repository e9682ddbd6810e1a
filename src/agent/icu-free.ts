/**
 * What the agent would otherwise ask ICU for, without ICU. ICU's data is part of the `node`
 * binary; the pages a process reads of it stay resident for the process's life, and the agent
 * runs for months. Bare Node reads 0.4 MB of it; biome forbids the calls these replace in
 * src/agent (scripts/biome/agent-icu.grit), test/unit/agent-bundle.test.ts checks a probe run of
 * the bundle, and test/unit/agent-icu-free.test.ts checks both against the calls they replace.
 */

/**
 * `Date.prototype.toISOString`, computed from the UTC fields. V8's own asks the host's time zone
 * for the date's local offset before it formats the date in UTC, and the first such call makes
 * ICU load its time-zone tables (`zoneinfo64`, `metaZones`, zone names): 0.5 MB more resident,
 * for a time then printed in UTC. The agent stamps every log line and every watch probe's config
 * step. The UTC getters read the time value alone. Same output as `toISOString` for every date,
 * and the same RangeError for an invalid one.
 */
export function isoTime(at: Date | number = Date.now()): string {
  const d = typeof at === "number" ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new RangeError("Invalid time value");
  const year = d.getUTCFullYear();
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? "-" : "+"}${pad(Math.abs(year), 6)}`;
  return `${y}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * Sort order by UTF-16 code units (what `sort()` does without a comparator), for names and ISO
 * times. `localeCompare` builds ICU's collator for the default locale: 3 MB more resident, kept.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An ISO time with its offset → ms since the epoch, or NaN, without ICU: in src/contract, where the
 * watch's comparison (contract/watch.ts) reads certificate dates on the agent too.
 */
export { isoMillis } from "../contract/iso-millis.ts";
