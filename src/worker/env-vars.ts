import { z } from "zod";
import { DISCORD_VARS } from "../adapters/discord/settings.ts";
import { commaList, flag, parsedBy, secretText, type VarSpec } from "../adapters/env/vars.ts";
import { errorMessage } from "../contract/errors.ts";
import { parseLogLevel } from "../contract/log-level.ts";
import { parseHostLabels } from "../core/alerts/host-map.ts";
import { parseTriageEveryMs } from "../core/alerts/receive.ts";
import { type AuthzConfig, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/authz/authz.ts";
import { EMPTY_FREEZE_POLICY, type FreezePolicy, parseFreezePolicy } from "../core/freezes/policy.ts";
import { watchSettingsFromEnv } from "../core/hosts/watch-state.ts";
import { parseGroupingPolicy } from "../core/incidents/grouping.ts";
import { parseIncidentRouting } from "../core/incidents/routing.ts";

/**
 * Every variable the Worker reads (issue 28), declared once: secrets set with
 * `wrangler secret put`, vars from wrangler.toml. `parseWorkerConfig` (env.ts) parses them all
 * together and lists every problem, naming the binding and never its value; docs/configuration.md
 * is written from this table (`npm run docs:config`). Kept apart from env.ts, which types the
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

/** A whole number in [min, max], else `fallback` (these are tuning knobs: a bad one is listed, and reads fall back). */
function knob(name: string, min: number, max: number, fallback: number | undefined) {
  return parsedBy((t) => {
    if (t === undefined) return fallback;
    const n = Number(t.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${name}: "${t.slice(0, 20)}" is not a whole number from ${min} to ${max}.`);
    }
    return n;
  });
}

/** Positive days or hours (as on Node), else unset. */
function positive(name: string, max: number, unit: string) {
  return parsedBy((t) => {
    if (t === undefined) return undefined;
    const n = Number(t.trim());
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`${name} must be ${unit} between 0 and ${max}.`);
    return n;
  });
}

const SLACK = "Slack";
const OPERATOR = "Operator API, logs and tuning";
const INCIDENTS = "Incidents and the watch";
const ALERTS = "Alert webhooks";
const FREEZES = "Freezes, recovery and authorization";
const BUNDLES = "Bundles and tickets";

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
  SLACK_API_URL: {
    group: SLACK,
    doc: "Only for a Slack stand-in (tests, staging). Default: Slack's Web API.",
    schema: z
      .url({ protocol: /^https?$/, error: "SLACK_API_URL is not an http(s) URL; unset it to use the Slack Web API." })
      .optional(),
  },
  // Discord beside Slack (issue 43): the same table on Node and Workers.
  ...DISCORD_VARS,
  CLAWOPS_ADMIN_TOKEN: {
    group: OPERATOR,
    doc: "Bearer token of the operator API (`POST /api/admin/enrollment-codes`, `GET /api/hosts/<host>/agent`), a secret. Unset: that API answers 503.",
    secret: true,
    schema: secretText(),
  },
  LOG_LEVEL: {
    group: OPERATOR,
    doc: "The least severe log line written: debug, info, warn or error.",
    default: "info",
    schema: parsedBy((t) => {
      const level = parseLogLevel(t);
      if (!level.ok) throw new Error(level.message);
      return level.level;
    }),
  },
  AGENT_HEARTBEAT_MS: {
    group: OPERATOR,
    doc: "How often agents send a heartbeat frame, in ms; each one wakes the host's object from hibernation.",
    default: "60000",
    schema: knob("AGENT_HEARTBEAT_MS", 1, 3_600_000, 60_000),
  },
  CLAWOPS_FANOUT_GROUP: {
    group: OPERATOR,
    doc: "Hosts per fan-out object in `status … --live` (at most 1000): the subrequests one object makes.",
    default: "200",
    schema: knob("CLAWOPS_FANOUT_GROUP", 1, 1_000, 200),
  },
  CLAWOPS_INCIDENT_CHANNEL: {
    group: INCIDENTS,
    doc: "The channel id where watch transitions, alerts and automatic freezes open their threads.",
    schema: z.string().optional(),
  },
  CLAWOPS_HOST_CHANNELS: {
    group: INCIDENTS,
    doc: "Per-host channels for those, first match wins: `node-*=C0123,tag:edge=C0456`.",
    schema: parsedBy((t) => parseIncidentRouting(undefined, t).rules),
  },
  CLAWOPS_WATCH_INTERVAL_S: {
    group: INCIDENTS,
    doc: "How often agents quick-probe their gateway, in seconds; 0 turns the watch off. Needs the WATCH_SHARDS binding.",
    default: "30",
    schema: parsedBy((t) => watchSettingsFromEnv({ CLAWOPS_WATCH_INTERVAL_S: t }).intervalMs),
  },
  CLAWOPS_WATCH_DIGEST_S: {
    group: INCIDENTS,
    doc: "How often an agent with nothing new sends its digest, in seconds.",
    default: "600",
    schema: parsedBy((t) => watchSettingsFromEnv({ CLAWOPS_WATCH_DIGEST_S: t }).digestMs),
  },
  CLAWOPS_WATCH_FLAP_WINDOW_S: {
    group: INCIDENTS,
    doc: "The flap window, in seconds.",
    default: "600",
    schema: parsedBy((t) => watchSettingsFromEnv({ CLAWOPS_WATCH_FLAP_WINDOW_S: t }).flapWindowMs),
  },
  CLAWOPS_WATCH_LOST_S: {
    group: INCIDENTS,
    doc: 'An agent away (disconnected, or silent past its digest period) this long while others report is an "agent lost" incident, in seconds: longer than a restart or an upgrade takes.',
    default: "90",
    schema: parsedBy((t) => watchSettingsFromEnv({ CLAWOPS_WATCH_LOST_S: t }).lostAfterMs),
  },
  CLAWOPS_FLEET_GROUPING: {
    group: INCIDENTS,
    doc: "Fleet incidents (docs/incidents.md): hosts failing together with one cause become one incident. `off`, or hosts=3,tag=20%,window=2m (the defaults).",
    default: "hosts=3,tag=20%,window=2m",
    schema: parsedBy(parseGroupingPolicy),
  },
  CLAWOPS_ALERT_TOKEN: {
    group: ALERTS,
    doc: "Bearer token of `POST /alerts/alertmanager` and `/alerts/grafana` (a secret). Unset: they answer 503.",
    secret: true,
    schema: secretText(),
  },
  PAGERDUTY_WEBHOOK_SECRET: {
    group: ALERTS,
    doc: "The PagerDuty v3 webhook subscription's signing secret. Unset: `/alerts/pagerduty` answers 503.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_ALERT_HOST_LABELS: {
    group: ALERTS,
    doc: "The labels that name an alert's host, in order.",
    default: "clawops_host,host,instance",
    schema: parsedBy(parseHostLabels),
  },
  CLAWOPS_ALERT_TRIAGE_MINUTES: {
    group: ALERTS,
    doc: "At most one alert-started triage per host in this many minutes; 0: every new alert triages.",
    default: "5",
    schema: parsedBy(parseTriageEveryMs),
  },
  // Issue 29, item 7: PagerDuty write-back (docs/alerts.md).
  PAGERDUTY_API_TOKEN: {
    group: ALERTS,
    doc: "A PagerDuty REST API key (a secret): incidents raised by a PagerDuty alert get each triage's summary as a note. Needs PAGERDUTY_FROM.",
    secret: true,
    schema: secretText(),
  },
  PAGERDUTY_FROM: {
    group: ALERTS,
    doc: "The e-mail of a PagerDuty user, the `From` PagerDuty requires on notes and resolves.",
    schema: z.string().optional(),
  },
  PAGERDUTY_API_URL: {
    group: ALERTS,
    doc: "PagerDuty's REST API.",
    default: "https://api.pagerduty.com",
    schema: z.string().optional(),
  },
  CLAWOPS_PAGERDUTY_RESOLVE: {
    group: ALERTS,
    doc: "1: resolving an incident in clawops resolves the PagerDuty incident it came from too.",
    default: "0",
    schema: flag("CLAWOPS_PAGERDUTY_RESOLVE", false),
  },
  // Issue 40, item 2: paging the team's pager (docs/paging.md).
  CLAWOPS_PAGERDUTY_ROUTING_KEY: {
    group: ALERTS,
    doc: "A PagerDuty Events API v2 integration's routing key (a secret): incidents the paging policy pages are triggered, acknowledged and resolved there.",
    secret: true,
    schema: secretText(),
  },
  PAGERDUTY_EVENTS_URL: {
    group: ALERTS,
    doc: "PagerDuty's Events API v2 endpoint.",
    default: "https://events.pagerduty.com/v2/enqueue",
    schema: z.string().optional(),
  },
  CLAWOPS_OPSGENIE_API_KEY: {
    group: ALERTS,
    doc: "An Opsgenie API integration key (a secret): paged incidents are Opsgenie alerts.",
    secret: true,
    schema: secretText(),
  },
  OPSGENIE_API_URL: {
    group: ALERTS,
    doc: "Opsgenie's API (`https://api.eu.opsgenie.com` for EU accounts).",
    default: "https://api.opsgenie.com",
    schema: z.string().optional(),
  },
  CLAWOPS_PAGE_WEBHOOK_URL: {
    group: ALERTS,
    doc: "Any endpoint to page: each page POSTed as JSON, signed with CLAWOPS_PAGE_WEBHOOK_SECRET.",
    schema: z.string().optional(),
  },
  CLAWOPS_PAGE_WEBHOOK_SECRET: {
    group: ALERTS,
    doc: "The paging webhook's HMAC-SHA256 key (a secret), at least 16 characters.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_PAGING_POLICY: {
    group: ALERTS,
    doc: "Which incidents page: `<source>:<sevN>` pairs, or `none`.",
    default: "watch:sev2,silence:sev2,fleet:sev2,declared:sev2,command:sev2",
    schema: z.string().optional(),
  },
  CLAWOPS_DIGEST_CHANNEL: {
    group: ALERTS,
    doc: "Opt-in: a channel for the weekly incident digest.",
    schema: z.string().optional(),
  },
  CLAWOPS_DIGEST_DAY: {
    group: ALERTS,
    doc: "The digest's weekday (`mon` … `sun`).",
    default: "mon",
    schema: z.string().optional(),
  },
  CLAWOPS_DIGEST_HOUR_UTC: {
    group: ALERTS,
    doc: "The digest's hour, UTC (0-23).",
    default: "9",
    schema: z.string().optional(),
  },
  CLAWOPS_ESCALATION_LEVELS: {
    group: ALERTS,
    doc: "Escalation for teams without a pager: levels split by `;`, each a comma list of Slack user and user-group ids.",
    schema: z.string().optional(),
  },
  CLAWOPS_ESCALATION_AFTER_MIN: {
    group: ALERTS,
    doc: "Minutes between escalation announcements while nobody acknowledges.",
    default: "15",
    schema: z.string().optional(),
  },
  CLAWOPS_ESCALATION_REPEAT: {
    group: ALERTS,
    doc: "Announcements per escalation level before the next level.",
    default: "2",
    schema: z.string().optional(),
  },
  CLAWOPS_AUTHZ: {
    group: FREEZES,
    doc: "Who may run mutating commands: the JSON Node reads from CLAWOPS_AUTHZ_FILE, as a var or secret. Unset: read-only commands only.",
    schema: jsonVar<AuthzConfig>("CLAWOPS_AUTHZ", DEFAULT_AUTHZ, parseAuthzConfig),
  },
  CLAWOPS_ANNOUNCE_CHANNELS: {
    group: FREEZES,
    doc: "Channel ids every freeze notice also goes to, comma-separated.",
    schema: commaList(),
  },
  CLAWOPS_FREEZE_POLICY: {
    group: FREEZES,
    doc: "The freeze policy: the JSON Node reads from the file CLAWOPS_FREEZE_POLICY names, here as the var's value. Unset: none.",
    schema: jsonVar<FreezePolicy>("CLAWOPS_FREEZE_POLICY", EMPTY_FREEZE_POLICY, parseFreezePolicy),
  },
  CLAWOPS_FREEZE_WARN_MIN: {
    group: FREEZES,
    doc: "Minutes before a scheduled freeze starts that its warning goes out.",
    default: "15",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      const n = Number(t);
      if (!(Number.isFinite(n) && n > 0 && n <= 24 * 60))
        throw new Error("CLAWOPS_FREEZE_WARN_MIN must be minutes between 0 and 1440.");
      return n;
    }),
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
    schema: knob("CLAWOPS_DRAIN_POLL_MS", 1, 600_000, undefined),
  },
  CLAWOPS_LINK_SECRET: {
    group: BUNDLES,
    doc: "HMAC key of bundle download links, 32+ characters (a secret). Unset: bundles are off.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_PUBLIC_URL: {
    group: BUNDLES,
    doc: "The Worker's URL as hosts and browsers reach it: the install command `/openclaw enroll` prints, bundle links. Default: the Worker's own origin (where the request came in).",
    schema: z.string().optional(),
  },
  CLAWOPS_BUNDLE_RETENTION_DAYS: {
    group: BUNDLES,
    doc: "How long bundles are kept in R2, in days.",
    default: "14",
    schema: positive("CLAWOPS_BUNDLE_RETENTION_DAYS", 3650, "days"),
  },
  CLAWOPS_BUNDLE_LINK_HOURS: {
    group: BUNDLES,
    doc: "How long a bundle link stays valid, in hours (never past the retention).",
    default: "168",
    schema: positive("CLAWOPS_BUNDLE_LINK_HOURS", 87_600, "hours"),
  },
  JIRA_BASE_URL: { group: BUNDLES, doc: "Jira for `bundle --ticket`: the site's URL.", schema: z.string().optional() },
  JIRA_EMAIL: { group: BUNDLES, doc: "The Jira account's e-mail.", schema: z.string().optional() },
  JIRA_API_TOKEN: { group: BUNDLES, doc: "The Jira API token (a secret).", secret: true, schema: secretText() },
  GITHUB_TOKEN: {
    group: BUNDLES,
    doc: "GitHub for `bundle --ticket owner/repo#7`: a token that may comment on issues (a secret).",
    secret: true,
    schema: secretText(),
  },
  GITHUB_REPO: {
    group: BUNDLES,
    doc: "The repository `--ticket #7` means, `owner/name`.",
    schema: z.string().optional(),
  },
  GITHUB_API_URL: {
    group: BUNDLES,
    doc: "GitHub's API (GitHub Enterprise: its own).",
    default: "https://api.github.com",
    schema: z.string().optional(),
  },
  // Issue 29, item 6: tickets opened from an incident (docs/tickets.md).
  JIRA_PROJECT: {
    group: BUNDLES,
    doc: "The Jira project key `ticket <incident> new jira` opens issues in (e.g. `OPS`).",
    schema: z.string().optional(),
  },
  JIRA_ISSUE_TYPE: {
    group: BUNDLES,
    doc: "The issue type of those issues.",
    default: "Task",
    schema: parsedBy((t) => t?.trim() || "Task"),
  },
  CLAWOPS_TICKET_LINK_DAYS: {
    group: BUNDLES,
    doc: "How long a bundle a ticket links to (GitHub) is kept in R2 and its link valid, in days; `ticket <incident> renew` keeps it this long again.",
    default: "90",
    schema: positive("CLAWOPS_TICKET_LINK_DAYS", 3650, "days"),
  },
} as const satisfies Record<string, VarSpec>;
