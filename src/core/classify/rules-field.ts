import type { Rule } from "./finding.ts";
import { FIELD_RUNTIME_RULES } from "./rules-field-runtime.ts";
import { FIELD_SERVICE_RULES } from "./rules-field-service.ts";
import { FIELD_START_RULES, startFailureCommands } from "./rules-field-start.ts";
import { FIELD_STATE_RULES } from "./rules-field-state.ts";

/**
 * The field failures of issue 30, classes 10–18 and the pending restart / refused start: what
 * breaks gateways after their first week. Two places in RULES: the refused start first (when the
 * gateway is down it says why), the rest after the supervisor's rules.
 */
export { FIELD_START_RULES, startFailureCommands };
export const FIELD_RULES: readonly Rule[] = [...FIELD_STATE_RULES, ...FIELD_SERVICE_RULES, ...FIELD_RUNTIME_RULES];

/** The would-confirm / would-rule-out check of each rule above (spread into RULE_CHECKS). */
export const FIELD_RULE_CHECKS: Readonly<Record<string, { confirm: string; ruleOut: string }>> = {
  "gateway-start-refused": {
    confirm: "the same 'Gateway failed to start' line after a start attempt (`openclaw logs --limit 50 --plain`)",
    ruleOut: "a `[gateway] ready` line newer than the refusal",
  },
  "config-change-pending": {
    confirm: "`ss -ltnp` shows the gateway on the old port while `openclaw config get gateway.port` names another",
    ruleOut: "after `openclaw gateway restart` the gateway listens where the file says",
  },
  "state-db-corrupt": {
    confirm: "`head -c 16 <state dir>/state/openclaw.sqlite` does not print 'SQLite format 3'",
    ruleOut:
      "the header reads 'SQLite format 3' and the log has no 'malformed' or 'not a database' line since the last start",
  },
  "state-db-sidecar-deleted": {
    confirm: "`grep sqlite /proc/<gateway pid>/maps` shows a line ending '(deleted)'",
    ruleOut: "no '(deleted)' SQLite mapping after the next restart",
  },
  "disk-full-soon": {
    confirm: "`df -h <state dir>` shows almost nothing left, and less on the next read",
    ruleOut: "free space holds steady over an hour of the watch's samples",
  },
  "disk-filling": {
    confirm: "`df -h <state dir>` under 10 % free, or falling day by day",
    ruleOut: "free space above 10 % and steady",
  },
  "state-db-busy": {
    confirm: "`fuser -v <state dir>/state/openclaw.sqlite` lists a process other than the gateway and its workers",
    ruleOut: "no 'database is locked' line in the log since the last start",
  },
  "config-auto-restored": {
    confirm: "`ls -l <config dir>/openclaw.json.clobbered.*` and the log's 'Config auto-restored' line",
    ruleOut: "openclaw.json was edited again after the restore and holds the intended values",
  },
  "service-start-broken": {
    confirm: "`systemctl --user cat <unit>` names a path `ls` cannot find",
    ruleOut: "every path of ExecStart exists and `openclaw gateway install --force` rewrote the unit",
  },
  "service-runs-other-version": {
    confirm: "the package.json beside the unit's entry point has another version than `openclaw --version`",
    ruleOut: "after `openclaw gateway install --force` both versions match",
  },
  "service-dropin-stale": {
    confirm: "`systemctl --user cat <unit>` shows the drop-in's ExecStart/Environment winning over the unit's",
    ruleOut: "the drop-in sets nothing the unit sets, or was written after it on purpose",
  },
  "service-units-duplicated": {
    confirm: "`systemctl is-enabled <unit>` and `systemctl --user is-enabled <unit>` both say enabled",
    ruleOut: "one of the two is disabled or masked",
  },
  "secrets-env-missing": {
    confirm: "`tr '\\0' '\\n' < /proc/<gateway pid>/environ | cut -d= -f1` lacks the name",
    ruleOut: "the name is in $OPENCLAW_STATE_DIR/.env or the unit's Environment and the gateway was restarted since",
  },
  "proxy-env-differs": {
    confirm: "`tr '\\0' '\\n' < /proc/<gateway pid>/environ | grep -i _proxy` differs from `env | grep -i _proxy`",
    ruleOut: "the gateway, its unit and the shell show the same proxy variables",
  },
  "host-exec-denied": {
    confirm: "`openclaw approvals get` fails, and the log has 'denying host execution'",
    ruleOut: "`openclaw approvals get` answers and no 'denying host execution' line since the last start",
  },
  "host-exec-denied-once": {
    confirm: "`openclaw approvals get` fails, or another 'denying host execution' line a minute or more later",
    ruleOut: "`openclaw approvals get` answers and no further 'denying host execution' line",
  },
  "plugins-not-loaded": {
    confirm: "`openclaw plugins list` shows the plugin missing or in error",
    ruleOut: "the plugin is listed as loaded in `openclaw health --json` (plugins.loaded)",
  },
  "provider-egress-failing": {
    confirm: "a curl to the provider's base URL as the gateway's user, with its proxy variables, fails the same way",
    ruleOut: "no '[model-fetch] error' line with a network cause code since the last start",
  },
  "reverse-proxy-untrusted": {
    confirm: "the proxy's address appears in the 'proxy-shaped traffic' line and not in gateway.trustedProxies",
    ruleOut: "no such line since the last start",
  },
  "device-token-loop": {
    confirm: "`openclaw logs --follow | grep device_token_mismatch` keeps printing the same client=",
    ruleOut: "the lines stop after that client is re-paired or its token rotated",
  },
  "pairing-repair-pending": {
    confirm: "`openclaw devices list` shows the pending request",
    ruleOut: "`openclaw devices list` shows no pending request",
  },
  "node-paired-disconnected": {
    confirm: "`openclaw nodes status` shows the node paired · disconnected",
    ruleOut: "`openclaw nodes status --connected` lists it",
  },
};
