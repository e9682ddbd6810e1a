import { FIELD_RULE_CHECKS as RUNTIME_FIELD_CHECKS } from "./rule-checks-field.ts";
import { RUNTIME_RULE_CHECKS } from "./rule-checks-runtime.ts";
import { FIELD_RULE_CHECKS as HOST_STATE_FIELD_CHECKS } from "./rules-field.ts";
import { FIELD_TLS_RULE_CHECKS } from "./rules-field-tls.ts";

/**
 * For each rule: the one check that would confirm it and the one that would rule it out. Kept
 * apart from the rules so the ranked answer reads as "most likely first, and how to be sure".
 * Commands and signatures from GATEWAY-FACTS §3–§7 and the seeds' ladders.
 */

export interface RuleCheck {
  confirm: string;
  ruleOut: string;
}

export const RULE_CHECKS: Readonly<Record<string, RuleCheck>> = {
  ...RUNTIME_FIELD_CHECKS,
  ...RUNTIME_RULE_CHECKS,
  ...FIELD_TLS_RULE_CHECKS,
  "openclaw-not-found": {
    confirm: "`command -v openclaw` as the gateway's user prints nothing",
    ruleOut: "`sudo -u <gateway user> openclaw --version` works: the agent runs as another user/HOME",
  },
  "gateway-down": {
    confirm: "`openclaw gateway status --json` shows port.status free and rpc connectFailure unreachable",
    ruleOut: "any openclaw-gateway process in `ps -C openclaw-gateway`",
  },
  "gateway-crash-loop": {
    confirm: "`systemctl --user status openclaw-gateway` (or `docker ps`) shows a rising restart count",
    ruleOut: "a `[gateway] ready` line newer than the last 'Gateway failed to start'",
  },
  "supervisor-restart-loop": {
    confirm: "`systemctl --user show openclaw-gateway -p NRestarts` rises between two reads a minute apart",
    ruleOut: "`systemctl --user is-active openclaw-gateway` says active and NRestarts stays put",
  },
  "supervisor-unit-failed": {
    confirm: "`systemctl --user status openclaw-gateway` shows failed with the same exit code",
    ruleOut: "the unit is active and `ss -ltnp` shows its MainPID on the gateway port",
  },
  "supervisor-killed": {
    confirm: "`journalctl -k` has an `Out of memory: Killed process <pid> (openclaw-gateway)` line",
    ruleOut: "no OOM line and nobody ran kill -9 (an operator's manual kill)",
  },
  "supervisor-pid-mismatch": {
    confirm: "`ss -ltnp` names a pid that `systemctl --user status openclaw-gateway` does not list",
    ruleOut: "the two pids are the same a moment later (the unit was mid-restart)",
  },
  "config-file-invalid": {
    confirm: "`openclaw config validate` prints the same issues",
    ruleOut: "`openclaw config validate` passes (the gateway read the file mid-write)",
  },
  "config-not-applied": {
    confirm:
      "a second triage a minute later still shows different hashes, and the log has no `reload applied` since the edit",
    ruleOut: "the hashes match a few seconds later (a hot reload was in progress)",
  },
  "channel-account-down": {
    confirm: "`openclaw channels status --probe` shows the account's probe failing with the same error",
    ruleOut: "the probe succeeds and the account reconnects within its 2-minute grace",
  },
  "gateway-stopped": {
    confirm: "`ps -o pid,stat -C openclaw-gateway` shows STAT T for the gateway's pid",
    ruleOut: "the same pid shows S or R a moment later (it was resumed)",
  },
  "config-unparseable-running": {
    confirm: "`openclaw config validate` fails on the same file while `ss -ltnp` shows the gateway on its port",
    ruleOut: "`openclaw config validate` passes (the file was read mid-write)",
  },
  "workspace-uncreatable": {
    confirm: "`mkdir -p <workspace>` as the gateway's user fails with the same error",
    ruleOut: "`mkdir -p <workspace>` succeeds as the gateway's user",
  },
  "port-held-by-other": {
    confirm: "`ss -ltnp` names a non-openclaw process on the port",
    ruleOut: "the listener's pid is openclaw-gateway",
  },
  "dual-gateway-process": {
    confirm: "`ps -o pid,lstart,args -C openclaw-gateway` lists two for the same config",
    ruleOut: "the second process has its own --port/state dir (an intended second gateway)",
  },
  "gateway-unresponsive": {
    confirm: "`openclaw health --timeout 3000` also times out while the port accepts TCP",
    ruleOut: "the same probe answers a moment later (gateway was still starting)",
  },
  "protocol-mismatch": {
    confirm: "`openclaw --version` differs in major protocol from `openclaw gateway status` Gateway version",
    ruleOut: "both sides report the same version",
  },
  "token-drift": {
    confirm: "`openclaw gateway status --json` rpc.connectFailure.detailCode is AUTH_TOKEN_MISMATCH",
    ruleOut: "the config token is accepted (`openclaw gateway status --require-rpc` exits 0)",
  },
  "token-missing": {
    confirm: "`openclaw config get gateway.auth.token` is empty and OPENCLAW_GATEWAY_TOKEN is unset",
    ruleOut: "a token is set and the client sends it (log shows auth=token, not device=no)",
  },
  "device-token-mismatch": {
    confirm: "the gateway log shows reason=device_token_mismatch for this client",
    ruleOut: "`openclaw devices list` shows the device paired with a current token",
  },
  "pairing-required": {
    confirm: "`openclaw devices list` shows a pending request for this device",
    ruleOut: "the device is listed as paired with the requested role and scopes",
  },
  "device-identity-required": {
    confirm: "the detail code is DEVICE_AUTH_* or CONTROL_UI_DEVICE_IDENTITY_REQUIRED on every attempt",
    ruleOut: "the same client connects from http://127.0.0.1 or with a synced clock",
  },
  "origin-not-allowed": {
    confirm: "`openclaw config get gateway.controlUi.allowedOrigins` lacks the browser's origin",
    ruleOut: "a non-browser client (no Origin header) connects with the same token",
  },
  "auth-rate-limited": {
    confirm: "the log shows many `[ws] unauthorized` lines from the same remote= within a minute",
    ruleOut: "the first attempt after 5 minutes with the right token is accepted",
  },
  "scope-mismatch": {
    confirm: "`openclaw devices list` shows the device's approved scopes lack the requested one",
    ruleOut: "the device holds operator.read/admin already",
  },
  "close-4001-auth-changed": {
    confirm: "a `[reload] config hot reload applied (gateway.auth.token)` line at the time of the close",
    ruleOut: "reconnecting with the current config token succeeds (then it was a one-off)",
  },
  "close-1012-service-restart": {
    confirm: "the gateway's pid or uptimeMs changed after the close",
    ruleOut: "the same pid keeps running with a long uptime",
  },
  "close-1008-policy": {
    confirm: "a `[ws] closed before connect … code=1008 reason=` line with the same reason",
    ruleOut: "`openclaw gateway probe --timeout 10000` connects cleanly",
  },
  "close-1000-not-success": {
    confirm: "'handshake timeout' or 'parse/handle error' in `openclaw logs` at the same time",
    ruleOut: "the close came after hello-ok (a normal client disconnect)",
  },
  "handshake-timeouts-in-logs": {
    confirm: "the peer= in the timeout lines is a proxy or health checker",
    ruleOut: "no new timeout lines while clients connect",
  },
  "frame-parse-errors-in-logs": {
    confirm: "the SyntaxError quotes text a proxy or script sends",
    ruleOut: "no new parse/handle error lines after the next client connects",
  },
  "missing-operator-scope": {
    confirm: "the status RPC answers FORBIDDEN MISSING_SCOPE",
    ruleOut: "`openclaw status --all` works with the same credential",
  },
  "gateway-mode-not-local": {
    confirm: "`openclaw config get gateway.mode` is remote or empty",
    ruleOut: "gateway.mode is local in the file the service reads (`gateway status` Config (service))",
  },
  "config-unreadable": {
    confirm: "`openclaw doctor --lint --json` reports a parse error for the same path",
    ruleOut: "`openclaw config get gateway` prints the config",
  },
  "workspace-not-directory": {
    confirm: "`ls -ld <workspace>` shows a file, not a directory",
    ruleOut: "the path is a directory for the gateway's user",
  },
  "workspace-missing": {
    confirm: "`ls -ld <workspace>` fails for the gateway's user",
    ruleOut: "the directory exists (bind mount present)",
  },
  "workspace-vanished": {
    confirm: "WORKSPACE_VANISHED on the next agent turn",
    ruleOut: "the workspace directory exists with its AGENTS.md",
  },
  "token-sources-disagree": {
    confirm: "`openclaw status` Secret diagnostics names the conflicting source",
    ruleOut: "every token source has the same fingerprint after a fresh shell",
  },
  "refusing-to-bind": {
    confirm: "`openclaw config get gateway.bind` is not loopback and gateway.auth has no token/password",
    ruleOut: "a `[gateway] ready` line after the refusal",
  },
  "start-blocked-mode": {
    confirm: "`openclaw config get gateway.mode` is not local",
    ruleOut: "a `[gateway] ready` line after the block",
  },
  "config-reload-failed": {
    confirm: "`openclaw doctor --lint --json` shows an error for the changed key",
    ruleOut: "a `[reload] config hot reload applied` line after the failure",
  },
  "port-conflict-in-logs": {
    confirm: "`openclaw gateway status --deep` lists another gateway-like service",
    ruleOut: "no EADDRINUSE line after the last ready",
  },
  "anthropic-429-long-context": {
    confirm: "the failing model has params.context1m in `openclaw config get agents.defaults.models`",
    ruleOut: "short sessions fail too (then it is a plain rate limit)",
  },
  "ws-unauthorized-in-logs": {
    confirm: "the client= and reason= of the lines name one client",
    ruleOut: "no new `[ws] unauthorized` line after that client was fixed",
  },
  "cron-disabled": {
    confirm: "`openclaw cron status` shows enabled false or failing ticks",
    ruleOut: "`openclaw cron runs` shows recent successful runs",
  },
  "cron-job-failing": {
    confirm: "`openclaw cron runs --id <jobId>` shows the same error on the last runs",
    ruleOut: "`openclaw cron run <jobId>` now ends ok (the failure was transient)",
  },
  "heartbeat-skipped": {
    confirm: "`openclaw system heartbeat last` shows the same skip reason",
    ruleOut: "the skip reason is by design (quiet-hours, no-tasks-due)",
  },
  "browser-plugin-excluded": {
    confirm: "`openclaw config get plugins.allow` is set and lacks browser",
    ruleOut: "`openclaw browser status` answers",
  },
  "cdp-unreachable": {
    confirm: "`openclaw browser status` shows no CDP endpoint",
    ruleOut: "`curl http://<cdp host>:<port>/json/version` answers from the gateway host",
  },
  "policy-tightened": {
    confirm: "`openclaw config get channels` shows dmPolicy allowlist with an empty allowFrom",
    ruleOut: "a DM from an allowed sender gets an answer",
  },
  "doctor-lint-error": {
    confirm: "`openclaw doctor --lint --json` repeats the error",
    ruleOut: "`openclaw doctor --lint --json` reports ok after the fix",
  },
  "cli-only-model-backend": {
    confirm: "`openclaw models status` shows the default route with a *-cli provider",
    ruleOut: "the default model is an API route",
  },
  "cli-only-model-fallback": {
    confirm: "`openclaw models status` lists a *-cli fallback",
    ruleOut: "the primary route answers (the fallback is never used)",
  },
  "model-auth-missing": {
    confirm: "`openclaw models status` lists the provider under missing credentials",
    ruleOut: "`openclaw models status` shows the provider authenticated",
  },
  "version-skew": {
    confirm: "`openclaw gateway status` shows CLI and Gateway versions differ",
    ruleOut: "after `openclaw gateway restart` both versions match",
  },
  ...HOST_STATE_FIELD_CHECKS,
};
