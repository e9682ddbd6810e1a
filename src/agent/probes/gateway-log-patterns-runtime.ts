/** As gateway-log-patterns.ts has it (imported from there, it would be a cycle). */
import type { LogSignaturePattern } from "./log-signature-pattern.ts";

/**
 * Issue 46's log signatures, each written from the OpenClaw 2026.9.6 package's own strings
 * (dist/, file named beside each) as `parseLogLine` prints them: `[<subsystem>] <message>`
 * (a `logWarn("bundle-mcp: …")` is printed `[bundle-mcp] …`). Where an issue report quotes an
 * older wording, the pattern takes both and says which is which.
 */
export const RUNTIME_LOG_SIGNATURES: readonly LogSignaturePattern[] = [
  // diagnostic-*.mjs: `${label}: sessionId=… sessionKey=… state=${expectedState} age=${s}s queueDepth=${n}
  // reason=${reason} classification=… recovery=…`, label "stuck session" for session.stuck (reasons
  // queued_work_without_active_run, stale_session_state). Repeats are suppressed while the age doubles.
  { kind: "session-stuck", pattern: /\bstuck session: sessionId=/, reason: /\breason=([\w-]+)/ },
  // command-queue-*.mjs: `lane wait exceeded: lane=${lane} waitedMs=${ms} queueAhead=… activeAhead=… activeNow=… queueBehind=…`,
  // logged when queued work starts after waiting at least warnAfterMs (2 s by default): a message behind a
  // running turn of its session logs it routinely. Only a wait of 10 min or more counts here.
  {
    kind: "lane-wait-long",
    pattern: /\blane wait exceeded: lane=\S+ waitedMs=(?:[6-9]\d{5}|\d{7,})\b/,
    reason: /\blane=(\S+)/,
  },
  // run-*.mjs (gateway run loop): `draining active work before ${action} ${budget}: ${counts}`
  // (budget `with timeout 315000ms` / `without a timeout`), then every 30 s
  // `still draining active work before ${action}: ${counts}`, and at the deadline
  // `shutdown deadline reached; abandoning unfinished cleanup and active work before ${action}; last observed: …`.
  {
    kind: "drain-started",
    pattern: /(?<!still )\bdraining active work before (?:stop|restart) (?:with timeout \d+ms|without a timeout)/,
    reason: /before (stop|restart)/,
  },
  { kind: "drain-still-pending", pattern: /\bstill draining active work before (?:stop|restart)\b/ },
  { kind: "shutdown-deadline", pattern: /\bshutdown deadline reached; abandoning unfinished cleanup/ },
  // loader-shared-*.mjs (recordPluginError, logged `[plugins] ${id} failed during ${phase} from ${source}: …`
  // by loader-runtime-load-*.mjs): the ESM error `The requested module 'openclaw/plugin-sdk/…' does not provide an
  // export named '…'` and its hint `Plugin ${id} cannot import openclaw/plugin-sdk/… (built with OpenClaw
  // ${v}; running core ${v})`. Clawops issue 46 quotes it from `@openclaw/*` plugins (#138232, #94641).
  {
    kind: "plugin-export-missing",
    pattern: /does not provide an export named|\bcannot import openclaw\/plugin-sdk\/\S+ \(built with OpenClaw/,
    reason: /(?:\[plugins\] |\bPlugin )([\w@./-]+) (?=failed during|cannot import)/,
  },
  // agent-bundle-lsp-runtime-*.mjs: `bundle-lsp: failed to start server "${name}" (${launch}): ${error}`;
  // mcp-transport-config-*.mjs: `bundle-mcp: skipped server "${name}" because …`; mcp-client-lifecycle-*.mjs:
  // `MCP server connection timed out after ${ms}ms`. `[bundle-mcp] failed to start server "…"` is the
  // wording clawops issue 46 quotes (#64205, #114154); 2026.9.6's dist does not have it.
  {
    kind: "mcp-server-failed",
    pattern:
      /\[bundle-(?:mcp|lsp)\] (?:failed to start server|skipped server) "|\bMCP server connection timed out after \d+ms/,
    reason: /server "([^"]+)"/,
  },
  // host-*.mjs (spawn broker client): SpawnBrokerError `Spawn broker exited; command outcome is
  // unavailable` (the commands in flight when it exited) and `Spawn broker is unavailable` (every
  // spawn asked of a broker that is gone: the lasting state).
  { kind: "spawn-broker-lost", pattern: /\bSpawn broker exited; command outcome is unavailable/ },
  { kind: "spawn-broker-unavailable", pattern: /\bSpawn broker is unavailable/ },
  // server-*.mjs: `spawn broker restarted pid=${pid}` (the gateway replaced a broker that exited).
  { kind: "spawn-broker-restarted", pattern: /\bspawn broker restarted pid=\d+/ },
  // embedded-agent-*.mjs: `context overflow detected (attempt ${n}/3); attempting auto-compaction for …`,
  // `context overflow persisted after in-attempt compaction (attempt ${n}/3)`, `[context-overflow-diag] sessionKey=…`.
  {
    kind: "context-overflow",
    pattern:
      /\bcontext overflow (?:detected|persisted after in-attempt compaction) \(attempt \d+\/3\)|\[context-overflow-diag\]/,
    reason: /\((attempt \d+\/3)\)/,
  },
  // embedded-agent-*.mjs: `[context-overflow-recovery] … livenessState=blocked suggestedAction=${reset_or_new|retry_or_compact}`;
  // agent-runner-memory-*.mjs: `preflightCompaction failed: sessionKey=… reason=${reason}` (verbose logging only).
  {
    kind: "context-blocked",
    pattern: /\blivenessState=blocked suggestedAction=\w+|\bpreflightCompaction failed: /,
    reason: /suggestedAction=(\w+)/,
  },
  // gmail-watcher-*.mjs (subsystem gmail-watcher): `gog gmail watch start failed (code=…, termination=…)`
  // with its stderr (formatCommandResult), `watch start error: …`, the serve process's stderr as
  // `[gog] …`. `Periodic Workspace Gmail watch renew failed for …` is the wording clawops issue 46 quotes
  // (#96088, PR #96202); 2026.9.6's dist does not have it.
  {
    kind: "gmail-watch-failed",
    pattern:
      /\[gmail-watcher\] (?:gog gmail watch start failed|watch start error:|gmail watcher failed to start:)|\bPeriodic Workspace Gmail watch renew failed/,
    reason: /\b(invalid_grant)\b/,
  },
  // gmail-watcher-*.mjs: `watch started for ${account}` (a start or renewal that took).
  { kind: "gmail-watch-started", pattern: /\[gmail-watcher\] watch started for / },
  // manager-vector-warning-*.mjs: `memory_index_chunks_vec not updated — sqlite-vec unavailable: ${err}. Vector recall degraded.`
  {
    kind: "memory-vector-degraded",
    pattern: /chunks_vec not updated — /,
    reason: /not updated — (sqlite-vec unavailable|semantic vector embeddings unavailable)/,
  },
  // logger-*.mjs: `[openclaw] log file append failed; records dropped; check that the path is a writable
  // regular file; file=${file}`, once per file, to stderr: the journal has it, the file log never does.
  { kind: "log-append-failed", pattern: /\blog file append failed; records dropped\b/ },
  // server-start-*.mjs (server-tls-renewal: the gateway watches its cert, key and CA files and reloads
  // them on change): `gateway TLS renewal failed; keeping accepted material: ${error}`, and on success
  // `gateway TLS certificate renewed without restarting listeners`.
  { kind: "tls-renewal-failed", pattern: /\bgateway TLS renewal failed; keeping accepted material/ },
  { kind: "tls-renewed", pattern: /\bgateway TLS certificate renewed without restarting listeners/ },
  // service-*.mjs (cron timer-catchup): with `cron.skipMissedJobs`, a start skips the recurring jobs
  // whose slots passed while the gateway was down and logs `cron: skipped missed recurring jobs after
  // restart` (info, its `{count, jobIds}` beside it; the file log keeps the message).
  { kind: "cron-missed-skipped", pattern: /\bcron: skipped missed recurring jobs after restart\b/ },
];
