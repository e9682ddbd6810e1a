import type { LogSignatureKind } from "../../contract/catalog.ts";

/**
 * Issue 30's log signatures, each written from the OpenClaw 2026.9.6 package's own strings
 * (dist/, file named beside each) as `parseLogLine` prints them: `[<subsystem>] <message>`.
 * Channel lines start with the channel (`[telegram] [default] channel exited: …`), which is
 * their reason.
 */
const CHANNEL = /^\[([\w-]+)\]/;

export const FIELD_LOG_SIGNATURES: readonly { kind: LogSignatureKind; pattern: RegExp; reason?: RegExp }[] = [
  // monitor-polling.runtime: `Telegram getUpdates conflict: ${error}.${TELEGRAM_GET_UPDATES_CONFLICT_HINT}` (409).
  {
    kind: "telegram-getupdates-conflict",
    pattern: /Telegram getUpdates conflict|terminated by other getUpdates request/,
  },
  // monitor-polling.runtime: `Polling stall detected (no completed getUpdates for …); forcing restart.`
  { kind: "polling-stall", pattern: /Polling stall detected/, reason: CHANNEL },
  // server-channels: `[${id}] channel exited: ${lastError}`, `auto-restart attempt ${n}/${MAX_RESTARTS} in ${s}s`,
  // `giving up after ${MAX_RESTARTS} restart attempts` (MAX_RESTARTS = 10).
  { kind: "channel-exited", pattern: /\bchannel exited: /, reason: CHANNEL },
  { kind: "channel-auto-restart", pattern: /\bauto-restart attempt \d+\/\d+/, reason: CHANNEL },
  { kind: "channel-gave-up", pattern: /\bgiving up after \d+ restart attempts/, reason: CHANNEL },
  // server-runtime-startup-services (channel health monitor, every 300 s):
  // `[${channel}:${account}] health-monitor: restarting (reason: ${reason})`, `hit ${max} restarts/hour limit`.
  {
    kind: "health-monitor-restart",
    pattern: /health-monitor: restarting \(reason: [\w-]+\)/,
    reason: /\(reason: ([\w-]+)\)/,
  },
  { kind: "health-monitor-limit", pattern: /health-monitor: hit \d+ restarts\/hour limit/ },
  // oauth-*, auth-profiles: `OAuth token refresh failed for ${provider}: …`, `Runtime auth refresh failed for …`;
  // the lines `status --all` groups (status-all-*.mjs): `Embedded agent failed before reply: OAuth token
  // refresh failed for <provider>: …`, `[<tag>] Token refresh failed: <status> {…}`; and the codes a
  // refresh failure is classified by (oauth-refresh-failure-*).
  {
    kind: "oauth-refresh-failed",
    pattern:
      /OAuth token refresh failed|Runtime auth refresh failed|\bToken refresh failed: \d+|\brefresh_token_reused\b|\brefresh_token_expired\b/,
    reason: /\b(refresh_token_reused|refresh_token_expired|token_expired)\b/,
  },
  // model-fallback-runner: `Provider ${provider} is in cooldown`, and the summary
  // `All models failed (${n}): ${provider}/${model}: ${error} (${reason}) | …`.
  { kind: "model-cooldown", pattern: /\bProvider \S+ is in cooldown/, reason: /\bProvider (\S+) is in cooldown/ },
  { kind: "all-models-failed", pattern: /\bAll models failed \(\d+\)/ },
  // gateway-lock: `gateway already running (pid ${pid}); lock timeout after ${ms}ms`, `state directory is locked by ${role} (pid …)`.
  {
    kind: "gateway-lock-timeout",
    pattern: /gateway already running(?: \(pid \d+\))?; lock timeout|state directory is locked by /,
    reason: /\(pid (\d+)\)/,
  },
  // @openclaw/fs-safe sidecar-lock-policy: `file lock timeout for ${path}`, `file lock stale for ${path}`.
  { kind: "file-lock-stuck", pattern: /\bfile lock (?:timeout|stale) for /, reason: /\bfile lock (timeout|stale) for/ },
  // diagnostic: `liveness warning: reasons=${reasons} interval=…s eventLoopDelayP99Ms=…`.
  { kind: "liveness-warning", pattern: /\bliveness warning: reasons=/, reason: /reasons=([\w,]+)/ },
  // diagnostic: `memory pressure: level=${level} reason=${reason} … rssBytes=… heapUsedBytes=…`.
  { kind: "memory-pressure", pattern: /\bmemory pressure: level=\w+/, reason: /level=(\w+)/ },
];
