/**
 * Where the log lines of issue 46's rules come from, and why each is a fail or a warn: rendered
 * into docs/findings.md by scripts/gen-findings.ts, which refuses a row naming a rule the catalog
 * does not have. Each string was read in the `openclaw@2026.9.6` package's `dist/` (the file named,
 * its hash suffix left out: it changes with every build), or is quoted in clawops issue 46 from
 * the OpenClaw issue reports it cites (said so, with their numbers).
 */
export type StringSource = {
  rule: string;
  /** The lines the rule reads, as OpenClaw writes them (`…` where a value goes). */
  strings: string[];
  /** `dist/<file>-*.mjs` of 2026.9.6, or `issue #n` for a wording only an issue report shows. */
  from: string[];
  /** Why this severity: fail only where the gateway cannot serve. */
  severity: string;
};

export const STRING_SOURCES: readonly StringSource[] = [
  {
    rule: "gateway-draining",
    strings: [
      "draining active work before stop with timeout 315000ms: cron-run=1",
      "still draining active work before stop: …",
      "shutdown deadline reached; abandoning unfinished cleanup and active work before …",
      '/readyz 503 {"failing":["gateway-draining"]}',
    ],
    from: ["dist/run-*.mjs (drain reporter, every 30 s)", "dist/server-start-*.mjs (/readyz while draining)"],
    severity:
      "fail: while it drains the gateway refuses new WebSocket connections (503 'websocket admission closed', dist/route-auth-*.mjs) and new work",
  },
  {
    rule: "spawn-broker-lost",
    strings: [
      "Spawn broker is unavailable (the lasting state)",
      "Spawn broker exited; command outcome is unavailable",
      "spawn broker restarted pid=… (clears it)",
    ],
    from: ["dist/host-*.mjs (SpawnBrokerError)", "dist/server-*.mjs (restart line)"],
    severity: "fail: every host command an agent runs is refused until a broker runs again",
  },
  {
    rule: "session-lane-wedged",
    strings: [
      "stuck session: sessionId=… state=processing age=…s queueDepth=… reason=queued_work_without_active_run …",
      "lane wait exceeded: lane=main waitedMs=… (10 min or more; logged from 2 s on)",
    ],
    from: ["dist/diagnostic-*.mjs", "dist/command-queue-*.mjs"],
    severity: "warn: the gateway serves; the sessions on that lane wait, and OpenClaw tries its own recovery first",
  },
  {
    rule: "session-run-stalled",
    strings: [
      "sessions.list {activeOnly:true} row: status=running|queued, hasActiveRun=true, lastActivityAt (else updatedAt) 10 min or more before the answer's ts",
      "(on the lab's real gateway: the same read answers sessions: [] and an idle session has hasActiveRun=false and no status)",
    ],
    from: [
      "dist/sessions-read-*.mjs (sessions.list, operator.read)",
      "dist/session-row-prepared-read-*.mjs (status, startedAt, updatedAt, lastActivityAt)",
      "dist/session-list-read-result-*.mjs (hasActiveRun, activeRunIds)",
    ],
    severity:
      "warn: the gateway serves; that conversation, and work queued behind it, may wait until the run ends or is stopped",
  },
  {
    rule: "cron-runs-skipped",
    strings: [
      'cron.list job: enabled, lastRunStatus "skipped", lastRunError "Agent-less cron job has no resolvable owner. Pass --agent <id> …" (or another stored reason)',
      "[cron] cron: skipped missed recurring jobs after restart (with cron.skipMissedJobs; its {count, jobIds} beside it)",
    ],
    from: [
      "dist/job-read-view-*.mjs (lastRunStatus, lastRunError)",
      "dist/agent-id-*.mjs (the ownerless job's reason)",
      "dist/service-*.mjs (timer-catchup, info level)",
    ],
    severity: "warn: the gateway and its scheduler serve; the skipped runs' work did not happen",
  },
  {
    rule: "plugins-core-out-of-lockstep",
    strings: [
      "[plugins] … failed during load from …: Plugin … cannot import openclaw/plugin-sdk/… (built with OpenClaw …; running core …)",
      "The requested module 'openclaw/plugin-sdk/…' does not provide an export named '…'",
    ],
    from: [
      "dist/loader-shared-*.mjs",
      "dist/loader-runtime-load-*.mjs",
      "clawops issue 46, citing #138232 and #94641 (the same error from `@openclaw/*` plugins)",
    ],
    severity: "warn: the gateway serves without the plugin; what the plugin provides is missing",
  },
  {
    rule: "mcp-servers-failing",
    strings: [
      'bundle-mcp: skipped server "…" because …',
      'bundle-lsp: failed to start server "…" (…): …',
      "MCP server connection timed out after 30000ms",
      '[bundle-mcp] failed to start server "…": McpError …',
    ],
    from: [
      "dist/mcp-transport-config-*.mjs",
      "dist/agent-bundle-lsp-runtime-*.mjs",
      "dist/mcp-client-lifecycle-*.mjs",
      "clawops issue 46, citing #64205 and #114154 (the `[bundle-mcp] failed to start server` wording; not in 2026.9.6's dist)",
    ],
    severity: "warn: agent turns run, without that server's tools",
  },
  {
    rule: "context-overflow-loop",
    strings: [
      "context overflow detected (attempt n/3); attempting auto-compaction for …",
      "[context-overflow-recovery] … livenessState=blocked suggestedAction=reset_or_new …",
      "preflightCompaction failed: sessionKey=… reason=… (verbose logging only)",
    ],
    from: ["dist/embedded-agent-*.mjs", "dist/agent-runner-memory-*.mjs"],
    severity: "warn: one conversation is blocked; the gateway and its other sessions serve",
  },
  {
    rule: "gateway-log-unwritable",
    strings: [
      "[openclaw] log file append failed; records dropped; check that the path is a writable regular file; file=…",
      "the log path a directory (EISDIR, read by the agent)",
    ],
    from: ["dist/logger-*.mjs (once per file, to stderr)"],
    severity: "warn: the gateway serves; what only its log shows is lost, and the config layer says so",
  },
  {
    rule: "gateway-log-stale",
    strings: [
      "(no line) the log's modification time before the running gateway's start; 'gateway ready' written at every start",
    ],
    from: ["dist/logger-*.mjs (file level 'info' unless logging.level or OPENCLAW_LOG_LEVEL say otherwise)"],
    severity: "warn: the gateway serves; what only its log shows since its start is not where clawops reads",
  },
  {
    rule: "gmail-watch-failing",
    strings: [
      "gog gmail watch start failed (code=…, termination=…) / stderr: …invalid_grant…",
      "watch start error: …",
      "Periodic Workspace Gmail watch renew failed for …",
    ],
    from: [
      "dist/gmail-watcher-*.mjs",
      "dist/command-error-*.mjs",
      "clawops issue 46, citing #96088 and PR #96202 (the periodic renew wording; not in 2026.9.6's dist)",
    ],
    severity: "warn: the gateway serves; new mail may stop arriving when the watch lapses",
  },
  {
    rule: "memory-search-degraded",
    strings: ["memory_index_chunks_vec not updated — sqlite-vec unavailable: …. Vector recall degraded."],
    from: ["dist/manager-vector-warning-*.mjs"],
    severity: "warn: memory search answers, by keywords only",
  },
  {
    rule: "tls-renewal-failed",
    strings: [
      "gateway TLS renewal failed; keeping accepted material: …",
      "gateway TLS certificate renewed without restarting listeners (clears it)",
    ],
    from: ["dist/server-start-*.mjs"],
    severity: "warn: the gateway keeps serving its accepted certificate; clients may fail when it expires",
  },
];
