import { DISCORD_VARS } from "../adapters/discord/settings.ts";
import {
  BUNDLES,
  FREEZES,
  SHARED_ALERT_VARS,
  SHARED_BUNDLE_VARS,
  SHARED_FREEZE_VARS,
  SHARED_INCIDENT_VARS,
  SHARED_SERVER_VARS,
  SHARED_SLACK_VARS,
  SLACK,
} from "../adapters/env/shared-vars.ts";
import { parsedBy, secretText, type VarSpec, wholeNumber } from "../adapters/env/vars.ts";
import { MATTERMOST_VARS } from "../adapters/mattermost/settings.ts";
import { TEAMS_VARS } from "../adapters/teams/settings.ts";
import { errorMessage } from "../contract/errors.ts";
import { type AuthzConfig, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/authz/authz.ts";
import { EMPTY_FREEZE_POLICY, type FreezePolicy, parseFreezePolicy } from "../core/freezes/policy.ts";

/**
 * Every variable the Worker reads (issue 28), declared once: secrets set with
 * `wrangler secret put`, vars from wrangler.toml. Those Node reads too come from the shared
 * table (src/adapters/env/shared-vars.ts); the rest are the Worker's own. `parseWorkerConfig`
 * (env.ts) parses them all together and lists every problem, naming the binding;
 * docs/configuration.md is written from this table (`npm run docs:config`). Kept apart from env.ts, which types the
 * Workers bindings, so the generator reads it under Node.
 */
const SECRET = (name: string, required: boolean) =>
  parsedBy((t) => {
    if (t === undefined && required) throw new Error(`${name} is not set; run \`npx wrangler secret put ${name}\`.`);
    return t;
  });

/** A JSON var (the JSON Node reads from a file), checked by `check`; never echoed. */
function jsonVar<T>(name: string, fallback: T, check: (json: unknown, where: string) => T) {
  return parsedBy((t): T => {
    if (t === undefined) return fallback;
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch {
      // Not JSON.parse's own message: V8 quotes the start of the input in it.
      throw new Error(`${name} is not valid JSON.`);
    }
    try {
      return check(raw, name);
    } catch (err) {
      // The parser names the field; never the value.
      throw new Error(errorMessage(err).slice(0, 300));
    }
  });
}

const OPERATOR = "Operator API, logs and tuning";

export const WORKER_VARS = {
  SLACK_SIGNING_SECRET: {
    group: SLACK,
    doc: "The Slack app's signing secret (a secret). Required.",
    secret: true,
    schema: SECRET("SLACK_SIGNING_SECRET", true),
  },
  SLACK_BOT_TOKEN: {
    group: SLACK,
    doc: "The bot token, `xoxb-…` (a secret). Required.",
    secret: true,
    schema: SECRET("SLACK_BOT_TOKEN", true),
  },
  // The variables Node reads too, checked the same way there (src/adapters/env/shared-vars.ts);
  // a shared entry restated here (`...SHARED_*.NAME`) rewords only what the page says of the
  // Worker, never its schema or default.
  ...SHARED_SLACK_VARS,
  // Discord beside Slack (issue 43): the same table on Node and Workers.
  ...DISCORD_VARS,
  // Mattermost beside Slack and Discord (issue 43): the same table on Node and Workers.
  ...MATTERMOST_VARS,
  // Microsoft Teams beside the others (issue 43): the same table on Node and Workers.
  ...TEAMS_VARS,
  LOG_LEVEL: {
    ...SHARED_SERVER_VARS.LOG_LEVEL,
    group: OPERATOR,
    doc: "The least severe log line written: debug, info, warn or error.",
  },
  CLAWOPS_ADMIN_TOKEN: {
    ...SHARED_SERVER_VARS.CLAWOPS_ADMIN_TOKEN,
    group: OPERATOR,
    doc: "Bearer token of the operator API (`POST /api/admin/enrollment-codes`, `GET /api/hosts/<host>/agent`), a secret. Unset: that API answers 503.",
  },
  AGENT_HEARTBEAT_MS: {
    group: OPERATOR,
    doc: "How often agents send a heartbeat frame, in ms; each one wakes the host's object from hibernation.",
    default: "60000",
    schema: wholeNumber("AGENT_HEARTBEAT_MS", 1, 3_600_000, 60_000),
  },
  CLAWOPS_FANOUT_GROUP: {
    group: OPERATOR,
    doc: "Hosts per fan-out object in `status … --live` (at most 1000): the subrequests one object makes.",
    default: "200",
    schema: wholeNumber("CLAWOPS_FANOUT_GROUP", 1, 1_000, 200),
  },
  ...SHARED_INCIDENT_VARS,
  CLAWOPS_INCIDENT_CHANNEL: {
    ...SHARED_INCIDENT_VARS.CLAWOPS_INCIDENT_CHANNEL,
    doc: "The channel id where watch transitions, alerts and automatic freezes open their threads.",
  },
  CLAWOPS_WATCH_INTERVAL_S: {
    ...SHARED_INCIDENT_VARS.CLAWOPS_WATCH_INTERVAL_S,
    doc: "How often agents quick-probe their gateway, in seconds; 0 turns the watch off. Needs the WATCH_SHARDS binding.",
  },
  ...SHARED_ALERT_VARS,
  CLAWOPS_AUTHZ: {
    group: FREEZES,
    doc: "Who may run mutating commands: the JSON Node reads from CLAWOPS_AUTHZ_FILE, as a var or secret. Unset: read-only commands only.",
    schema: jsonVar<AuthzConfig>("CLAWOPS_AUTHZ", DEFAULT_AUTHZ, parseAuthzConfig),
  },
  ...SHARED_FREEZE_VARS,
  CLAWOPS_FREEZE_POLICY: {
    group: FREEZES,
    doc: "The freeze policy: the JSON Node reads from the file CLAWOPS_FREEZE_POLICY names, here as the var's value. Unset: none.",
    schema: jsonVar<FreezePolicy>("CLAWOPS_FREEZE_POLICY", EMPTY_FREEZE_POLICY, parseFreezePolicy),
  },
  CLAWOPS_APPROVAL_KEY: {
    group: FREEZES,
    doc: "The approval signing key, an Ed25519 private JWK (`npm run -s clawops -- approval-key`), a secret. Agents pin its public key at enrollment. Unset: `/openclaw recover` says how to set it.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_DRAIN_POLL_MS: {
    group: FREEZES,
    doc: 'How often "approve once drained" re-reads what is in flight, in ms.',
    default: "15000",
    schema: wholeNumber("CLAWOPS_DRAIN_POLL_MS", 1, 600_000, undefined),
  },
  CLAWOPS_PUBLIC_URL: {
    ...SHARED_SERVER_VARS.CLAWOPS_PUBLIC_URL,
    group: BUNDLES,
    doc: "The Worker's URL as hosts and browsers reach it: the install command `/openclaw enroll` prints, bundle links. Default: the Worker's own origin (where the request came in).",
  },
  ...SHARED_BUNDLE_VARS,
  CLAWOPS_LINK_SECRET: {
    ...SHARED_BUNDLE_VARS.CLAWOPS_LINK_SECRET,
    doc: "HMAC key of bundle download links, 32+ characters. Unset: bundles are off.",
  },
  CLAWOPS_BUNDLE_RETENTION_DAYS: {
    ...SHARED_BUNDLE_VARS.CLAWOPS_BUNDLE_RETENTION_DAYS,
    doc: "How long bundles are kept in R2, in days.",
  },
  CLAWOPS_TICKET_LINK_DAYS: {
    ...SHARED_BUNDLE_VARS.CLAWOPS_TICKET_LINK_DAYS,
    doc: "How long a bundle a ticket links to (GitHub) is kept in R2 and its link valid, in days; `ticket <incident> renew` keeps it this long again.",
  },
} as const satisfies Record<string, VarSpec>;
