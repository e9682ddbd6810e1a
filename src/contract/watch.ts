import type { StepRequest, StepResult } from "./catalog.ts";
import { STORAGE_VOLATILE_KEYS } from "./steps/host-state.ts";
import { certificateStanding } from "./steps/tls.ts";

/**
 * The watch (docs/watch.md): every agent runs the quick probe on its own, every
 * `watchIntervalMs` (jittered ±10 %), and tells the control plane only what changed
 * (`watch.state`), confirming it on the next probe and then every `watchDigestMs` with its
 * hash alone (`watch.digest`), so a silent agent is noticed.
 */

/** Default probe interval; the control plane's welcome may say another, an agent's env overrides both. */
export const WATCH_INTERVAL_MS = 30_000;
/** Default digest period: at most this long without a frame from a watching agent. */
export const WATCH_DIGEST_MS = 600_000;
/** The quick probe's budget: the fleet status deadline. */
export const QUICK_PROBE_DEADLINE_MS = 2_000;

/**
 * The fast probes: socket, HTTP, listeners, config file, vitals, TLS (no `openclaw` CLI). Each
 * bounded below the deadline. `gateway.tls` so the watch sees what a pinned probe cannot (an
 * expired certificate, a stale remote pin, a file the gateway did not load): with TLS off it
 * answers from the config reading the other steps share; with TLS on it reads the certificate
 * file the pinned probes read anyway and makes one TLS handshake on the gateway's port.
 */
export function quickProbeSteps(deadlineMs: number): StepRequest[] {
  const probeMs = Math.max(100, Math.min(1_500, deadlineMs - 300));
  return [
    { step: "gateway.http", args: { timeoutMs: probeMs } },
    { step: "gateway.ws", args: { timeoutMs: probeMs } },
    { step: "port.listeners", args: {} },
    { step: "config", args: {} },
    { step: "gateway.vitals", args: {} },
    { step: "gateway.tls", args: { timeoutMs: probeMs } },
  ];
}

/**
 * Fields that change on every probe of an unchanged gateway (timings, uptime, the next cron
 * wake, `/readyz`'s event-loop figures): left out of what the watch compares, so a steady
 * gateway sends nothing. HTTP bodies are left out whole: the classifier reads only the status.
 */
const VOLATILE_KEYS = new Set([
  "durationMs",
  "handshakeMs",
  "uptimeMs",
  "nextWakeAtMs",
  "eventLoop",
  "body",
  "ts",
  "now",
  ...STORAGE_VOLATILE_KEYS,
  // gateway.vitals: figures that move on every probe; its `outlook` and `slowStreak` say when they matter.
  "rssBytes",
  "spanMs",
  "samples",
  "slopeBytesPerHour",
  "heapSlopeBytesPerHour",
  "heapUsedBytes",
  "hoursLeft",
  "lastMs",
  "baselineMs",
  // channels.status: idle times of busy accounts (the transport's own idle time is compared).
  "inboundIdleMin",
  // gateway.tls: when the handshake was read; the certificate's standing at that time is compared instead.
  "checkedAt",
]);

/**
 * The probe results as the watch compares them: volatile fields dropped, keys sorted. A TLS
 * reading adds its certificate's standing (valid, expiring, expired) at its `checkedAt`: the
 * time itself moves every probe, and the day a certificate comes within 14 days of its notAfter
 * nothing else in the reading changes (at the notAfter a CA-verifying client's reason may or may
 * not: the standing does not depend on it), so without it the watch would keep confirming the
 * last state it sent.
 */
export function watchComparable(results: readonly StepResult[]): string {
  return JSON.stringify(results.map((r) => stable(withStanding(r))));
}

function withStanding(r: StepResult): unknown {
  return r.step === "gateway.tls" && r.data ? { ...r, standing: certificateStanding(r.data) } : r;
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (VOLATILE_KEYS.has(key)) continue;
    const v = (value as Record<string, unknown>)[key];
    // A process's kernel state letter flips between running and sleeping from one probe to the
    // next; only stopped (T) and zombie (Z) mean something to the classifier.
    out[key] = key === "state" && typeof v === "string" && ALIVE_STATES.has(v) ? "alive" : stable(v);
  }
  return out;
}

const ALIVE_STATES = new Set(["R", "S", "D", "I"]);
