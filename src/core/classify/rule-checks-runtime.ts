/** The confirm / rule-out checks of issue 46's rules (rules-field-work.ts, rules-field-readings.ts). */
export const RUNTIME_RULE_CHECKS: Readonly<Record<string, { confirm: string; ruleOut: string }>> = {
  "gateway-draining": {
    confirm: "`curl -s http://127.0.0.1:<port>/readyz` still answers 503 with `gateway-draining` a minute later",
    ruleOut: "the process has exited (or restarted) and /readyz answers 200 again",
  },
  "spawn-broker-lost": {
    confirm: "the next command an agent runs (an exec tool call) logs 'Spawn broker is unavailable' again",
    ruleOut: "a `spawn broker restarted pid=…` line after the quoted one, and commands run again",
  },
  "session-lane-wedged": {
    confirm: "a new 'stuck session' line for the same sessionKey with a larger age, and no reply in that conversation",
    ruleOut: "a message sent in that conversation is answered, and no new 'stuck session' line follows",
  },
  "session-run-stalled": {
    confirm:
      "`openclaw sessions list --json` a few minutes later: the same session still running or queued, its lastActivityAt unchanged",
    ruleOut: "the session's status is done (or its lastActivityAt moved) and the conversation answers",
  },
  "cron-runs-skipped": {
    confirm: "`openclaw cron runs --id <job id>` lists the skipped runs with the same reason",
    ruleOut: "the job's next run at its time ends ok (`openclaw cron list` shows lastRunStatus ok)",
  },
  "plugins-core-out-of-lockstep": {
    confirm: "`openclaw gateway status --deep` reports 'Plugin version drift' naming the plugin",
    ruleOut: "`openclaw plugins list` shows the plugin loaded at the core's version after a restart",
  },
  "mcp-servers-failing": {
    confirm: "`openclaw mcp probe <server>` fails the same way",
    ruleOut: "`openclaw mcp probe <server>` connects and lists its tools, and no new failure line follows a restart",
  },
  "context-overflow-loop": {
    confirm: "the next message in that conversation logs a new 'context overflow' or 'livenessState=blocked' line",
    ruleOut: "after /new (or a compaction) the conversation answers without a new overflow line",
  },
  "gateway-log-unwritable": {
    confirm: "`ls -ld <log path>` shows a directory (or a file the gateway's user cannot write)",
    ruleOut: "the log path is a regular file whose modification time moves while the gateway serves",
  },
  "gateway-log-stale": {
    confirm: "the file's modification time stays put while the gateway serves requests for a few minutes",
    ruleOut: "the file's modification time moves while the gateway serves, or it holds this start's 'gateway ready'",
  },
  "gmail-watch-failing": {
    confirm: "the next renewal logs the same failure (`gog gmail watch start failed`) or 'invalid_grant'",
    ruleOut: "a later `watch started for <account>` line, and new mail reaches the hook",
  },
  "memory-search-degraded": {
    confirm: "`openclaw memory status --deep` reports vector search unavailable or paused",
    ruleOut: "`openclaw memory status --deep` reports vector search ready after a restart",
  },
  "tls-renewal-failed": {
    confirm: "the served certificate's fingerprint (`openssl s_client`) differs from the one at gateway.tls.certPath",
    ruleOut: "the served certificate is the one at gateway.tls.certPath and no new renewal failure is logged",
  },
};
