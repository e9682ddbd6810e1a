/** The confirm / rule-out checks of issue 30's field-failure rules (classes 1–9). */
export const FIELD_RULE_CHECKS: Readonly<Record<string, { confirm: string; ruleOut: string }>> = {
  "channel-zombie": {
    confirm: "`openclaw channels status --probe` fails for the account, or a message sent to the bot gets no reply",
    ruleOut: "a message sent to the bot now is answered and the account's transport activity is recent again",
  },
  "channel-restart-storm": {
    confirm: "a new `auto-restart attempt` or `health-monitor: restarting` line for the same account within minutes",
    ruleOut: "no restart line for the account since the last one quoted, and it stays connected",
  },
  "duplicate-poller": {
    confirm: "the 409 returns after `openclaw gateway restart` (the other poller is still running)",
    ruleOut: "no new 'getUpdates conflict' line after the other host or script was stopped",
  },
  "bot-token-on-several-hosts": {
    confirm: "`openclaw config get channels` on the other host names the same account, enabled, in polling mode",
    ruleOut: "the account is disabled or in webhook mode on every other host named",
  },
  "model-auth-refresh-failing": {
    confirm: "`openclaw models status --probe` fails for the provider with an authentication error",
    ruleOut: "a later refresh succeeds: no new 'refresh failed' line and the provider's expiry moved forward",
  },
  "model-auth-expiring": {
    confirm: "`openclaw models status --json` shows the profile's expiry within 72 h",
    ruleOut: "the profile was replaced: its expiry is now far off",
  },
  "all-models-failed": {
    confirm: "a test turn (`openclaw agent --message ping`) fails with 'All models failed'",
    ruleOut: "a test turn gets an answer from one of the models",
  },
  "provider-cooldown": {
    confirm: "a new 'is in cooldown' line for the same provider on the next turn",
    ruleOut: "the next turn uses the provider again (its cooldown ended)",
  },
  "gateway-lock-blocks-start": {
    confirm: "`openclaw gateway run` fails after 5 s with 'gateway already running (pid N)' naming the lock's pid",
    ruleOut: "the pid in the lock is this config's gateway, listening on its port",
  },
  "gateway-lock-stale": {
    confirm: "`journalctl -k` or the supervisor shows the gateway killed (SIGKILL, OOM) at the lock's last write",
    ruleOut: "a gateway of this config runs and holds the lock",
  },
  "stale-write-lock": {
    confirm: "the log has 'file lock timeout for' the same path after the lock's time",
    ruleOut: "the lock file is gone a minute later (a live writer released it)",
  },
  "memory-limit-imminent": {
    confirm: "the gateway's RSS (`ps -o rss -p <pid>`) keeps rising between two reads ten minutes apart",
    ruleOut: "the RSS levels off or falls (a burst, not a leak)",
  },
  "memory-growing-to-limit": {
    confirm: "the gateway's RSS (`ps -o rss -p <pid>`) keeps rising between two reads an hour apart",
    ruleOut: "the RSS levels off or falls (a burst, not a leak)",
  },
  "event-loop-starved": {
    confirm: "`time curl -s http://127.0.0.1:<port>/readyz` takes a second or more, again and again",
    ruleOut: "the same request answers in milliseconds now (the stall ended)",
  },
  "event-loop-degraded": {
    confirm: "`curl -s http://127.0.0.1:<port>/readyz` still shows eventLoop.degraded true a minute later",
    ruleOut: "eventLoop.degraded false on the next read",
  },
};
