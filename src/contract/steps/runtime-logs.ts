/**
 * Log signatures of issue 46's field failures (round 2), each from the OpenClaw 2026.9.6
 * package's own strings (dist/, named beside each pattern in
 * src/agent/probes/gateway-log-patterns-runtime.ts): wedged session lanes, a stop stuck
 * draining, core and plugins out of lockstep, MCP servers, the spawn broker, context overflow,
 * the Gmail watcher, memory search, the file log itself, TLS renewal, scheduled runs skipped.
 */
export const RUNTIME_LOG_SIGNATURE_KINDS = [
  "session-stuck",
  "lane-wait-long",
  "drain-started",
  "drain-still-pending",
  "shutdown-deadline",
  "plugin-export-missing",
  "mcp-server-failed",
  "spawn-broker-lost",
  "spawn-broker-unavailable",
  "spawn-broker-restarted",
  "context-overflow",
  "context-blocked",
  "gmail-watch-failed",
  "gmail-watch-started",
  "memory-vector-degraded",
  "log-append-failed",
  "tls-renewal-failed",
  "tls-renewed",
  "cron-missed-skipped",
] as const;
