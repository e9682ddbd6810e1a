import { parseLogLevel } from "../../contract/log-level.ts";
import { parseHostLabels } from "../../core/alerts/host-map.ts";
import { parseTriageEveryMs } from "../../core/alerts/receive.ts";
import { parseChannelNameTemplate, parseChannelPolicy } from "../../core/incidents/channel-policy.ts";
import { parseGroupingPolicy } from "../../core/incidents/grouping.ts";
import { parseIncidentMirrors } from "../../core/incidents/mirrors.ts";
import { parseIncidentRouting } from "../../core/incidents/routing.ts";
import { parsePagingPolicy } from "../../core/paging/policy.ts";
import { parsePublicUrl } from "./public-url.ts";
import { watchSettingsOf } from "./settings.ts";
import { commaList, flag, httpUrl, optionalText, parsedBy, positiveNumber, secretText, type VarSpec } from "./vars.ts";

/**
 * The variables both runtimes read (issue 45, item 1), declared once: the Node control plane's
 * table (src/node/config/schema.ts) and the Worker's (src/worker/env-vars.ts) spread these in,
 * so a variable is checked the same way wherever it is set (a URL as a URL on both). A runtime
 * may reword an entry's `doc` or `group` for its own page (the Worker's public URL is its origin,
 * not a listen address), never its schema or default: test/unit/config.test.ts holds both
 * tables to this one. Runs in workerd too, so nothing here imports a Node module.
 *
 * Apart, in each runtime's own table: what only one runtime reads, and the three names whose
 * meaning differs by runtime (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN, required on the Worker
 * and optional on Node, which serves the console without them; CLAWOPS_FREEZE_POLICY, a file on
 * Node and the JSON itself on the Worker).
 */

export const SERVER = "Server";
export const SLACK = "Slack";
export const INCIDENTS = "Incidents and the watch";
export const ALERTS = "Alert webhooks";
export const FREEZES = "Freezes, recovery and authorization";
export const BUNDLES = "Bundles and tickets";

/** Where it is reached, its log, its operator API. */
export const SHARED_SERVER_VARS = {
  CLAWOPS_PUBLIC_URL: {
    group: SERVER,
    doc: "The control plane's URL as hosts and browsers reach it (the install command, agents' `wss://`, bundle links). Default: where it listens.",
    schema: parsedBy((t) => parsePublicUrl(t) ?? undefined),
  },
  LOG_LEVEL: {
    group: SERVER,
    doc: "The least severe log line written: debug, info, warn or error (JSON lines on stderr).",
    default: "info",
    schema: parsedBy((t) => {
      const level = parseLogLevel(t);
      if (!level.ok) throw new Error(level.message);
      return level.level;
    }),
  },
  CLAWOPS_ADMIN_TOKEN: {
    group: SERVER,
    doc: "Bearer token of the operator API (`POST /api/admin/enrollment-codes`): `clawops enroll <host>` with it set issues codes from a control plane that serves Slack (no console). Any long random string (`openssl rand -hex 32`). Unset: that API answers 503.",
    secret: true,
    schema: secretText(),
  },
} as const satisfies Record<string, VarSpec>;

/** Slack (the tokens themselves are each runtime's: required on the Worker only). */
export const SHARED_SLACK_VARS = {
  SLACK_API_URL: {
    group: SLACK,
    doc: "Only for a Slack stand-in (tests, staging). Default: Slack's Web API.",
    schema: httpUrl("SLACK_API_URL"),
  },
} as const satisfies Record<string, VarSpec>;

/** Where incidents open, the watch, fleet grouping. */
export const SHARED_INCIDENT_VARS = {
  CLAWOPS_INCIDENT_CHANNEL: {
    group: INCIDENTS,
    doc: "The channel id where incidents nobody typed (watch transitions, alerts, automatic freezes) open their threads. Without Slack: the console.",
    schema: optionalText(),
  },
  CLAWOPS_HOST_CHANNELS: {
    group: INCIDENTS,
    doc: "Per-host channels for those, first match wins: `node-*=C0123,tag:edge=C0456`; another chat's channel as it names it (`tag:edge=discord:1234…`).",
    schema: parsedBy((t) => parseIncidentRouting(undefined, t).rules),
  },
  CLAWOPS_INCIDENT_MIRRORS: {
    group: INCIDENTS,
    doc: "Channels on other chats where each incident of CLAWOPS_INCIDENT_CHANNEL is announced too, without buttons (a line says where they are): `discord:1234…,mattermost:4xp9…` (docs/incidents.md#mirrors-one-incident-on-several-chats).",
    schema: parsedBy(parseIncidentMirrors),
  },
  CLAWOPS_WATCH_INTERVAL_S: {
    group: INCIDENTS,
    doc: "How often agents quick-probe their gateway, in seconds; 0 turns the watch off (docs/watch.md).",
    default: "30",
    schema: parsedBy((t) => watchSettingsOf({ CLAWOPS_WATCH_INTERVAL_S: t }).intervalMs),
  },
  CLAWOPS_WATCH_DIGEST_S: {
    group: INCIDENTS,
    doc: "How often an agent with nothing new sends its digest, in seconds.",
    default: "600",
    schema: parsedBy((t) => watchSettingsOf({ CLAWOPS_WATCH_DIGEST_S: t }).digestMs),
  },
  CLAWOPS_WATCH_FLAP_WINDOW_S: {
    group: INCIDENTS,
    doc: "The flap window: flips inside it are summed up once at its end, in seconds.",
    default: "600",
    schema: parsedBy((t) => watchSettingsOf({ CLAWOPS_WATCH_FLAP_WINDOW_S: t }).flapWindowMs),
  },
  CLAWOPS_WATCH_LOST_S: {
    group: INCIDENTS,
    doc: 'An agent away (disconnected, or silent past its digest period) this long while others report is an "agent lost" incident, in seconds: longer than a restart or an upgrade takes.',
    default: "90",
    schema: parsedBy((t) => watchSettingsOf({ CLAWOPS_WATCH_LOST_S: t }).lostAfterMs),
  },
  CLAWOPS_FLEET_GROUPING: {
    group: INCIDENTS,
    doc: "Fleet incidents (docs/incidents.md): hosts failing together with one cause become one incident. `off`, or hosts=3,tag=20%,window=2m (the defaults).",
    default: "hosts=3,tag=20%,window=2m",
    schema: parsedBy(parseGroupingPolicy),
  },
  // Issue 41, item 2: an incident's own channel (docs/incidents.md#incident-channels).
  CLAWOPS_INCIDENT_CHANNEL_POLICY: {
    group: INCIDENTS,
    doc: "Incidents with a Slack channel of their own (scope channels:manage): `off` (threads only), `manual` (the header's *Open a channel* and `incident <id> channel`), or sev1-sev4 and `fleet`, comma-separated, which open one at once (the button works too).",
    default: "off",
    schema: parsedBy(parseChannelPolicy),
  },
  CLAWOPS_INCIDENT_CHANNEL_NAME: {
    group: INCIDENTS,
    doc: "Those channels' name: placeholders <yyyymmdd> (opened, UTC), <host> (`fleet` for a fleet incident), <sev>, <id>; lowercased, other characters `-`, at most 80. Taken: `-2` … `-9`.",
    default: "inc-<yyyymmdd>-<host>",
    schema: parsedBy(parseChannelNameTemplate),
  },
  CLAWOPS_INCIDENT_CHANNEL_PRIVATE: {
    group: INCIDENTS,
    doc: "1: those channels are private (Slack scope groups:write).",
    default: "0",
    schema: flag("CLAWOPS_INCIDENT_CHANNEL_PRIVATE", false),
  },
  CLAWOPS_INCIDENT_CHANNEL_ARCHIVE: {
    group: INCIDENTS,
    doc: "1: resolving an incident archives its channel.",
    default: "0",
    schema: flag("CLAWOPS_INCIDENT_CHANNEL_ARCHIVE", false),
  },
} as const satisfies Record<string, VarSpec>;

/** Alert webhooks, PagerDuty write-back, paging. */
export const SHARED_ALERT_VARS = {
  CLAWOPS_ALERT_TOKEN: {
    group: ALERTS,
    doc: "Bearer token of `POST /alerts/alertmanager` and `/alerts/grafana`. Unset: they answer 503.",
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
    doc: "A PagerDuty REST API key: incidents raised by a PagerDuty alert get each triage's summary as a note. Needs PAGERDUTY_FROM.",
    secret: true,
    schema: secretText(),
  },
  PAGERDUTY_FROM: {
    group: ALERTS,
    doc: "The e-mail of a PagerDuty user, the `From` PagerDuty requires on notes and resolves.",
    schema: optionalText(),
  },
  PAGERDUTY_API_URL: {
    group: ALERTS,
    doc: "PagerDuty's REST API (a stand-in in tests).",
    default: "https://api.pagerduty.com",
    schema: httpUrl("PAGERDUTY_API_URL"),
  },
  CLAWOPS_PAGERDUTY_RESOLVE: {
    group: ALERTS,
    doc: "1: resolving an incident in clawops (`incident <id> resolve`) resolves the PagerDuty incident it came from too.",
    default: "0",
    schema: flag("CLAWOPS_PAGERDUTY_RESOLVE", false),
  },
  // Issue 40, item 2: paging the team's pager (docs/paging.md). core/paging/settings.ts
  // `pagingFromEnv` reads these too, for the rules that tie them together (a key without its URL).
  CLAWOPS_PAGERDUTY_ROUTING_KEY: {
    group: ALERTS,
    doc: "A PagerDuty Events API v2 integration's routing key: incidents the paging policy pages are triggered, acknowledged and resolved there (dedup key: the clawops incident id).",
    secret: true,
    schema: secretText(),
  },
  PAGERDUTY_EVENTS_URL: {
    group: ALERTS,
    doc: "PagerDuty's Events API v2 endpoint (a stand-in in tests).",
    default: "https://events.pagerduty.com/v2/enqueue",
    schema: httpUrl("PAGERDUTY_EVENTS_URL"),
  },
  CLAWOPS_OPSGENIE_API_KEY: {
    group: ALERTS,
    doc: "An Opsgenie (Jira Service Management) API integration key: paged incidents are Opsgenie alerts (alias: the incident id), acknowledged and closed with it.",
    secret: true,
    schema: secretText(),
  },
  OPSGENIE_API_URL: {
    group: ALERTS,
    doc: "Opsgenie's API: the US instance, or `https://api.eu.opsgenie.com` for EU accounts.",
    default: "https://api.opsgenie.com",
    schema: httpUrl("OPSGENIE_API_URL"),
  },
  CLAWOPS_PAGE_WEBHOOK_URL: {
    group: ALERTS,
    doc: "Any endpoint to page (ntfy, a Teams workflow, your own): each page is POSTed as JSON, signed with CLAWOPS_PAGE_WEBHOOK_SECRET (`X-Clawops-Signature: v1=<HMAC-SHA256>`).",
    // Posted to as written: a trailing slash may be part of the endpoint.
    schema: httpUrl("CLAWOPS_PAGE_WEBHOOK_URL", { endpoint: true }),
  },
  CLAWOPS_PAGE_WEBHOOK_SECRET: {
    group: ALERTS,
    doc: "The paging webhook's HMAC-SHA256 key, at least 16 characters.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_PAGING_POLICY: {
    group: ALERTS,
    doc: "Which incidents page: `<source>:<sevN>` pairs (a source pages at that severity and worse), or `none`. Alerts are not listed: their own pager already paged.",
    default: "watch:sev2,silence:sev2,fleet:sev2,declared:sev2,command:sev2",
    schema: parsedBy(parsePagingPolicy),
  },
  CLAWOPS_DIGEST_CHANNEL: {
    group: ALERTS,
    doc: "Opt-in: a channel for the weekly incident digest (`/openclaw report 7d`: by source, severity, host and finding; MTTA, MTTR, pages).",
    schema: optionalText(),
  },
  CLAWOPS_DIGEST_DAY: {
    group: ALERTS,
    doc: "The digest's weekday (`mon` … `sun`).",
    default: "mon",
    schema: optionalText(),
  },
  CLAWOPS_DIGEST_HOUR_UTC: {
    group: ALERTS,
    doc: "The digest's hour, UTC (0-23).",
    default: "9",
    schema: optionalText(),
  },
  CLAWOPS_EXPIRIES_CHANNEL: {
    group: ALERTS,
    doc: "Opt-in: a channel for the weekly expiry calendar (`/openclaw expiries`: TLS certificates, model credentials, shared bot tokens, refused watcher grants; docs/lifecycle.md).",
    schema: optionalText(),
  },
  CLAWOPS_EXPIRIES_DAY: {
    group: ALERTS,
    doc: "The weekly expiry calendar's weekday (`mon` … `sun`).",
    default: "mon",
    schema: optionalText(),
  },
  CLAWOPS_EXPIRIES_HOUR_UTC: {
    group: ALERTS,
    doc: "The hour, UTC (0-23), of the weekly expiry calendar and of the daily check for CLAWOPS_EXPIRIES_PAGE_DAYS.",
    default: "9",
    schema: optionalText(),
  },
  CLAWOPS_EXPIRIES_PAGE_DAYS: {
    group: ALERTS,
    doc: "Opt-in: once a day, open a sev3 incident (source `expiry`, once per credential and expiry date) for each TLS certificate or model credential expiring within this many days (1-90). It pages when CLAWOPS_PAGING_POLICY names `expiry`, e.g. `expiry:sev3`.",
    schema: optionalText(),
  },
  CLAWOPS_ESCALATION_LEVELS: {
    group: ALERTS,
    doc: "Escalation for teams without a pager: levels split by `;`, each a comma list of Slack user (`U…`) and user-group (`S…`) ids. An incident that pages by the policy and is not acknowledged is announced again in its thread with the level mentioned.",
    schema: optionalText(),
  },
  CLAWOPS_ESCALATION_AFTER_MIN: {
    group: ALERTS,
    doc: "Minutes between escalation announcements while nobody acknowledges.",
    default: "15",
    schema: optionalText(),
  },
  CLAWOPS_ESCALATION_REPEAT: {
    group: ALERTS,
    doc: "Announcements per escalation level before the next level.",
    default: "2",
    schema: optionalText(),
  },
} as const satisfies Record<string, VarSpec>;

/** Freeze notices. */
export const SHARED_FREEZE_VARS = {
  CLAWOPS_ANNOUNCE_CHANNELS: {
    group: FREEZES,
    doc: "Channel ids every freeze notice also goes to, comma-separated.",
    schema: commaList(),
  },
  CLAWOPS_FREEZE_WARN_MIN: {
    group: FREEZES,
    doc: "Minutes before a scheduled freeze starts that its warning goes out.",
    default: "15",
    schema: positiveNumber("CLAWOPS_FREEZE_WARN_MIN", 24 * 60, "minutes"),
  },
} as const satisfies Record<string, VarSpec>;

/** Bundles and tickets. */
export const SHARED_BUNDLE_VARS = {
  CLAWOPS_LINK_SECRET: {
    group: BUNDLES,
    doc: "HMAC key of bundle download links. Unset: a random key kept in `<data dir>/link-secret`.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_BUNDLE_RETENTION_DAYS: {
    group: BUNDLES,
    doc: "How long bundles are kept, in days.",
    default: "14",
    schema: positiveNumber("CLAWOPS_BUNDLE_RETENTION_DAYS", 3650, "days"),
  },
  CLAWOPS_BUNDLE_LINK_HOURS: {
    group: BUNDLES,
    doc: "How long a bundle link stays valid, in hours (never past the retention).",
    default: "168",
    schema: positiveNumber("CLAWOPS_BUNDLE_LINK_HOURS", 87_600, "hours"),
  },
  JIRA_BASE_URL: {
    group: BUNDLES,
    doc: "Jira for `bundle --ticket OPS-12`: the site's URL, with JIRA_EMAIL and JIRA_API_TOKEN.",
    schema: httpUrl("JIRA_BASE_URL"),
  },
  JIRA_EMAIL: { group: BUNDLES, doc: "The Jira account's e-mail.", schema: optionalText() },
  JIRA_API_TOKEN: { group: BUNDLES, doc: "The Jira API token.", secret: true, schema: secretText() },
  GITHUB_TOKEN: {
    group: BUNDLES,
    doc: "GitHub for `bundle --ticket acme/infra#7`: a token that may comment on issues.",
    secret: true,
    schema: secretText(),
  },
  GITHUB_REPO: {
    group: BUNDLES,
    doc: "The repository `--ticket #7` means, `owner/name`.",
    schema: optionalText(),
  },
  GITHUB_API_URL: {
    group: BUNDLES,
    doc: "GitHub's API (GitHub Enterprise: its own).",
    default: "https://api.github.com",
    schema: httpUrl("GITHUB_API_URL"),
  },
  // Issue 29, item 6: tickets opened from an incident (docs/tickets.md).
  JIRA_PROJECT: {
    group: BUNDLES,
    doc: "The Jira project key `ticket <incident> new jira` opens issues in (e.g. `OPS`). Unset: Jira tickets are only attached to.",
    schema: optionalText(),
  },
  JIRA_ISSUE_TYPE: {
    group: BUNDLES,
    doc: "The issue type of those issues (its name in the project).",
    default: "Task",
    schema: parsedBy((t) => t?.trim() || "Task"),
  },
  // Issue 41, item 4: tickets both ways (docs/tickets.md).
  JIRA_RESOLVE_TRANSITION: {
    group: BUNDLES,
    doc: "The Jira workflow transition a resolve moves the incident's issue through (its name, or its target status's, e.g. `Done`). Unset: the issue gets a comment only.",
    schema: optionalText(),
  },
  JIRA_WEBHOOK_SECRET: {
    group: BUNDLES,
    doc: "The secret of the Jira webhook that tells clawops of issues closed or reopened (`POST /tickets/jira/webhook`, `X-Hub-Signature: sha256=…`). Unset: that route answers 503.",
    secret: true,
    schema: secretText(),
  },
  CLAWOPS_TICKET_LINK_DAYS: {
    group: BUNDLES,
    doc: "How long a bundle a ticket links to (GitHub) is kept and its link valid, in days; `ticket <incident> renew` keeps it this long again.",
    default: "90",
    schema: positiveNumber("CLAWOPS_TICKET_LINK_DAYS", 3650, "days"),
  },
} as const satisfies Record<string, VarSpec>;

/** Every shared variable: what test/unit/config.test.ts holds both runtimes' tables to. */
export const SHARED_VARS = {
  ...SHARED_SERVER_VARS,
  ...SHARED_SLACK_VARS,
  ...SHARED_INCIDENT_VARS,
  ...SHARED_ALERT_VARS,
  ...SHARED_FREEZE_VARS,
  ...SHARED_BUNDLE_VARS,
} as const satisfies Record<string, VarSpec>;
