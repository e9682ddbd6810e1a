/**
 * An ISO time with its offset (`2026-11-25T12:01:39.355Z`, `…+00:00`) → ms since the epoch, or
 * NaN. `Date.parse` would do, but a string without an offset is local time to it, and the agent
 * never asks ICU for the local zone (src/agent/icu-free.ts); OpenClaw's lock files write
 * `toISOString()` (always `Z`), the agent's certificate facts `isoTime()`.
 */
export function isoMillis(text: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):?(\d\d))$/.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone === "Z") return utc;
  const offset = (Number(oh) * 60 + Number(om)) * 60_000;
  return sign === "+" ? utc - offset : utc + offset;
}
