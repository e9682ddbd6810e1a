import type { StorageVolume } from "../../contract/catalog.ts";

/**
 * Days until a filesystem is full, from free-space samples: the least-squares slope of free bytes
 * over time. The watch leaves a sample every probe (30 s), so six hours hold 720. A forecast needs
 * at least 10 samples over 10 minutes; shorter, a log burst reads as a trend.
 */
export type FreeSample = { at: number; freeBytes: number };

const MIN_SAMPLES = 10;
const MIN_SPAN_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export function forecastFree(samples: readonly FreeSample[], freeNow: number): StorageVolume["forecast"] | undefined {
  if (samples.length < MIN_SAMPLES) return undefined;
  const first = samples[0] as FreeSample;
  const last = samples[samples.length - 1] as FreeSample;
  const span = last.at - first.at;
  if (span < MIN_SPAN_MS) return undefined;
  const n = samples.length;
  let sx = 0;
  let sy = 0;
  for (const s of samples) {
    sx += s.at - first.at;
    sy += s.freeBytes;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    const dx = s.at - first.at - mx;
    num += dx * (s.freeBytes - my);
    den += dx * dx;
  }
  const freePerMs = den > 0 ? num / den : 0;
  const bytesPerDay = Math.round(-freePerMs * DAY_MS);
  const daysUntilFull = bytesPerDay > 0 ? Math.round((freeNow / bytesPerDay) * 100) / 100 : null;
  return {
    daysUntilFull,
    bytesPerDay,
    sampleCount: n,
    sampleSpanMs: span,
    horizon:
      daysUntilFull === null
        ? "none"
        : daysUntilFull < 1
          ? "day"
          : daysUntilFull < 7
            ? "week"
            : daysUntilFull < 30
              ? "month"
              : "none",
  };
}
