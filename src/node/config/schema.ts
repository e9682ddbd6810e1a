import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DISCORD_VARS } from "../../adapters/discord/settings.ts";
import {
  commaList,
  flag,
  httpUrl,
  optionalText,
  parsedBy,
  secretText,
  type VarSpec,
  wholeNumber,
} from "../../adapters/env/vars.ts";
import { errorMessage } from "../../contract/errors.ts";
import { parseLogLevel } from "../../contract/log-level.ts";
import { parseHostLabels } from "../../core/alerts/host-map.ts";
import { parseTriageEveryMs } from "../../core/alerts/receive.ts";
import { parseAuthzConfig } from "../../core/authz/authz.ts";
import { parseFreezePolicy } from "../../core/freezes/policy.ts";
import { watchSettingsFromEnv } from "../../core/hosts/watch-state.ts";
import { parseGroupingPolicy } from "../../core/incidents/grouping.ts";
import { parseIncidentRouting } from "../../core/incidents/routing.ts";
import { builtinKnownIssues } from "../../core/known-issues/builtin.ts";
import { mergeCatalogs, parseCatalog } from "../../core/known-issues/schema.ts";
import { parseCommandName } from "../../core/messages/command-name.ts";
import { parsePagingPolicy } from "../../core/paging/policy.ts";
import { normalizeHostName } from "../../core/vocabulary/hosts.ts";
import { parseTrustProxy } from "../client-address.ts";
import { localHostName } from "../host-name.ts";
import { parsePublicUrl } from "../public-url.ts";
import { loadSsmInventory } from "../ssm-inventory.ts";
import { parseTicketsFile } from "../tickets-file.ts";

/**
 * Every variable the Node control plane (`npm start`) reads, declared once (issue 28). The start
 * parses them all together and lists every problem at once (src/node/config/load.ts);
 * `clawops config` prints what each is and where it came from; docs/configuration.md is written
 * from this table (`npm run docs:config`). Files a variable names (authorization, freeze policy,
 * tickets, SSM inventory) are read and checked here too, so their problems are listed with the rest.
 */

/** The shortest /metrics token accepted: a guessable one would let anyone read the fleet's shape. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

/** A JSON file a variable names, read and checked by `check` (which names the variable and the field). */
function jsonFile<T>(name: string, check: (json: unknown, where: string) => T) {
  return parsedBy((path): { path: string; value: T } | undefined => {
    if (path === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`${name} ${path}: cannot read it as JSON (${errorMessage(err)})`);
    }
    return { path, value: check(raw, `${name} ${path}`) };
  });
}

/** A positive number (fractions allowed) at most `max`; unset → `fallback`. */
function positive(name: string, max: number, fallback: number | undefined, unit: string) {
  return parsedBy((text) => {
    if (text === undefined) return fallback;
    const n = Number(text.trim());
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new Error(`${name} must be ${unit} between 0 and ${max} (got "${text.slice(0, 20)}").`);
    }
    return n;
  });
}

const SERVER = "Server";
const SLACK = "Slack";
const INCIDENTS = "Incidents and the watch";
const ALERTS = "Alert webhooks";
const FREEZES = "Freezes, recovery and authorization";
const BUNDLES = "Bundles and tickets";
const AWS = "AWS (SSM transport, Parameter Store)";

export const NODE_VARS = {
  CLAWOPS_PORT: {
    group: SERVER,
    doc: "The port the control plane listens on (HTTP, the agents' WebSocket, the console). 0 picks a free one.",
    default: "8787",
    schema: wholeNumber("CLAWOPS_PORT", 0, 65_535, 8787),
  },
  CLAWOPS_BIND: {
    group: SERVER,
    doc: "The address it listens on. The local console answers on loopback only, so another address needs Slack.",
    default: "127.0.0.1",
    schema: parsedBy((t) => t?.trim() ?? "127.0.0.1"),
  },
  CLAWOPS_TRUST_PROXY: {
    group: SERVER,
    doc: "1 believes X-Forwarded-For (its last entry) from a reverse proxy on this machine (a loopback peer), so per-source limits on enrollment and agent downloads count clients, not the proxy.",
    default: "0",
    schema: parsedBy((t) => parseTrustProxy(t)),
  },
  CLAWOPS_DATA_DIR: {
    group: SERVER,
    doc: "The state folder: SQLite database, bundles, the console secret, the generated link and approval keys. Keep it mode 0700 and across upgrades. The CLI reads the console secret from it.",
    default: "data",
    schema: parsedBy((t) => resolve(t ?? "data")),
  },
  CLAWOPS_PUBLIC_URL: {
    group: SERVER,
    doc: "The control plane's URL as hosts and browsers reach it (the install command, agents' `wss://`, bundle links). Default: where it listens.",
    schema: parsedBy((t) => parsePublicUrl(t) ?? undefined),
  },
  CLAWOPS_AGENT_FILE: {
    group: SERVER,
    doc: "A built single-file agent to serve to hosts (`/agent/clawops-agent.mjs`, `upgrade-agent`) instead of this checkout's; read again when the file changes. Default: built from the sources, or dist/clawops-agent.mjs.",
    schema: parsedBy((t) => (t ? resolve(t) : undefined)),
  },
  CLAWOPS_CONSOLE: {
    group: SERVER,
    doc: "1 serves the local console and the CLI's console API even with Slack configured (loopback only). Without Slack it is always on.",
    default: "0",
    schema: flag("CLAWOPS_CONSOLE", false),
  },
  CLAWOPS_LOCAL_AGENT: {
    group: SERVER,
    doc: "0 skips the agent `npm start` runs for this machine (a server is not a gateway host).",
    default: "1",
    schema: flag("CLAWOPS_LOCAL_AGENT", true),
  },
  CLAWOPS_LOCAL_HOST: {
    group: SERVER,
    doc: "The host name the local agent enrolls under. Default: this machine's short host name.",
    machineDefault: () => localHostName(),
    schema: parsedBy((t) => normalizeHostName(t ?? localHostName())),
  },
  CLAWOPS_COMMAND: {
    group: SERVER,
    doc: "The slash command's name when not `/openclaw` (OpenClaw's own Slack app registers `/openclaw` too), e.g. `/clawops`. The CLI reads it too.",
    default: "/openclaw",
    schema: parsedBy(parseCommandName),
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
  CLAWOPS_METRICS_TOKEN: {
    group: SERVER,
    doc: `Bearer token of \`GET /metrics\` (at least ${MIN_METRICS_TOKEN_LENGTH} characters, e.g. \`openssl rand -hex 32\`). Unset: /metrics answers 503.`,
    secret: true,
    schema: parsedBy((t) => {
      if (t !== undefined && t.length < MIN_METRICS_TOKEN_LENGTH) {
        throw new Error(
          `CLAWOPS_METRICS_TOKEN is ${t.length} characters; use at least ${MIN_METRICS_TOKEN_LENGTH} random ones (e.g. \`openssl rand -hex 32\`).`,
        );
      }
      return t;
    }),
  },
  SLACK_SIGNING_SECRET: {
    group: SLACK,
    doc: "The Slack app's signing secret (Basic Information): with SLACK_BOT_TOKEN, Slack over HTTP (`POST /slack/commands`, `/slack/interactions`).",
    secret: true,
    schema: secretText(),
  },
  SLACK_BOT_TOKEN: {
    group: SLACK,
    doc: "The bot token (`xoxb-…`, OAuth & Permissions). With neither Slack secret set, the local console is served instead.",
    secret: true,
    schema: secretText(),
  },
  SLACK_APP_TOKEN: {
    group: SLACK,
    doc: "An app-level token (`xapp-…`, scope connections:write): Socket Mode, Slack without a public URL. Needs SLACK_BOT_TOKEN.",
    secret: true,
    schema: secretText(),
  },
  SLACK_API_URL: {
    group: SLACK,
    doc: "Only for a Slack stand-in (tests, staging). Default: Slack's Web API.",
    schema: httpUrl("SLACK_API_URL"),
  },
  // Discord beside Slack (issue 43): the same table on Node and Workers.
  ...DISCORD_VARS,
  CLAWOPS_INCIDENT_CHANNEL: {
    group: INCIDENTS,
    doc: "The channel id where incidents nobody typed (watch transitions, alerts, automatic freezes) open their threads. Without Slack: the console.",
    schema: optionalText(),
  },
  CLAWOPS_HOST_CHANNELS: {
    group: INCIDENTS,
    doc: "Per-host channels for those, first match wins: `node-*=C0123,tag:edge=C0456`.",
    schema: parsedBy((t) => parseIncidentRouting(undefined, t).rules),
  },
  CLAWOPS_WATCH_INTERVAL_S: {
    group: INCIDENTS,
    doc: "How often agents quick-probe their gateway, in seconds; 0 turns the watch off (docs/watch.md).",
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
    doc: "The flap window: flips inside it are summed up once at its end, in seconds.",
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
  CLAWOPS_KNOWN_ISSUES_FILE: {
    group: INCIDENTS,
    doc: "The operator's known-issue catalog, a JSON file in the shipped catalog's format (docs/known-issues.md): its entries are added to the shipped ones (the same id replaces one). Read once at start, never fetched. Unset: the shipped catalog only.",
    schema: jsonFile("CLAWOPS_KNOWN_ISSUES_FILE", (raw, where) =>
      mergeCatalogs(builtinKnownIssues(), parseCatalog(raw, where)),
    ),
  },
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
  // Issue 40, item 2: paging the team's pager (docs/paging.md).
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
    schema: optionalText(),
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
  CLAWOPS_AUTHZ_FILE: {
    group: FREEZES,
    doc: "The authorization JSON file: who may freeze, recover, restart (docs/recovery.md). Unset: mutations only from the local console.",
    schema: jsonFile("CLAWOPS_AUTHZ_FILE", parseAuthzConfig),
  },
  CLAWOPS_ANNOUNCE_CHANNELS: {
    group: FREEZES,
    doc: "Channel ids every freeze notice also goes to, comma-separated.",
    schema: commaList(),
  },
  CLAWOPS_FREEZE_POLICY: {
    group: FREEZES,
    doc: "The freeze policy JSON file: which held watch transitions freeze a host by themselves (docs/freezes.md). Unset: none.",
    schema: jsonFile("CLAWOPS_FREEZE_POLICY", parseFreezePolicy),
  },
  CLAWOPS_FREEZE_WARN_MIN: {
    group: FREEZES,
    doc: "Minutes before a scheduled freeze starts that its warning goes out.",
    default: "15",
    schema: positive("CLAWOPS_FREEZE_WARN_MIN", 24 * 60, undefined, "minutes"),
  },
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
    schema: positive("CLAWOPS_BUNDLE_RETENTION_DAYS", 3650, undefined, "days"),
  },
  CLAWOPS_BUNDLE_LINK_HOURS: {
    group: BUNDLES,
    doc: "How long a bundle link stays valid, in hours (never past the retention).",
    default: "168",
    schema: positive("CLAWOPS_BUNDLE_LINK_HOURS", 87_600, undefined, "hours"),
  },
  CLAWOPS_TICKETS_FILE: {
    group: BUNDLES,
    doc: 'JSON of ticket settings per Slack workspace, `{ "T0123": { "jira": …, "github": … } }` (mode 0600: it holds tokens); other workspaces use the JIRA_* and GITHUB_* variables.',
    schema: parsedBy((t) => (t === undefined ? undefined : { path: t, value: parseTicketsFile(t) })),
  },
  CLAWOPS_TICKET_RETRY_BASE_MS: {
    group: BUNDLES,
    doc: "The first wait before a ticket request is retried, in ms (tests shorten it).",
    default: "1000",
    schema: wholeNumber("CLAWOPS_TICKET_RETRY_BASE_MS", 1, 60_000, undefined, " of ms"),
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
  CLAWOPS_TICKET_LINK_DAYS: {
    group: BUNDLES,
    doc: "How long a bundle a ticket links to (GitHub) is kept and its link valid, in days; `ticket <incident> renew` keeps it this long again.",
    default: "90",
    schema: positive("CLAWOPS_TICKET_LINK_DAYS", 3650, undefined, "days"),
  },
  CLAWOPS_SSM_PARAMETER_PATH: {
    group: AWS,
    doc: "Read the secrets the environment lacks from Parameter Store under this path (`/clawops/prod/`, SecureStrings named like the variables).",
    schema: parsedBy((t) => {
      if (t !== undefined && !/^\/[A-Za-z0-9_.\-/]*\/$/.test(t)) {
        throw new Error(
          `CLAWOPS_SSM_PARAMETER_PATH must be a Parameter Store path that starts and ends with "/", e.g. /clawops/prod/.`,
        );
      }
      return t;
    }),
  },
  CLAWOPS_SSM_INVENTORY: {
    group: AWS,
    doc: "The SSM inventory JSON file: which hosts are reached through SSM Run Command (infra/ssm).",
    schema: parsedBy((t) => (t === undefined ? undefined : loadSsmInventory({ CLAWOPS_SSM_INVENTORY: t }))),
  },
  CLAWOPS_SSM_INVENTORY_JSON: {
    group: AWS,
    doc: "The same inventory as JSON text, when no file can be mounted.",
    schema: parsedBy((t) => (t === undefined ? undefined : loadSsmInventory({ CLAWOPS_SSM_INVENTORY_JSON: t }))),
  },
  CLAWOPS_TRANSPORT: {
    group: AWS,
    doc: "`ssm`: every host through SSM (a host not in the inventory is reported as such). Default: inventory hosts through SSM, the rest through the agent hub.",
    default: "hub",
    schema: parsedBy((t) => {
      const v = (t ?? "hub").trim();
      if (v !== "hub" && v !== "ssm") throw new Error(`CLAWOPS_TRANSPORT: "${v.slice(0, 20)}" is not hub or ssm.`);
      return v;
    }),
  },
  AWS_REGION: {
    group: AWS,
    doc: "The AWS region of SSM and Parameter Store (also AWS_DEFAULT_REGION; the inventory may name its own). Credentials and AWS_ENDPOINT_URL_SSM come from the AWS SDK's own settings.",
    schema: optionalText(),
  },
} as const satisfies Record<string, VarSpec>;

/**
 * The `clawops` CLI's own variable; it also reads CLAWOPS_PORT, CLAWOPS_BIND, CLAWOPS_DATA_DIR,
 * CLAWOPS_ADMIN_TOKEN and CLAWOPS_COMMAND from the table above (src/node/cli/args.mjs, kept free
 * of zod so the CLI starts fast; test/unit/config.test.ts holds it to this table).
 */
export const CLI_VARS = {
  CLAWOPS_URL: {
    group: "The clawops CLI",
    doc: "The control plane the CLI talks to (`--server` wins). Unset: `http://$CLAWOPS_BIND:$CLAWOPS_PORT` (127.0.0.1 when it binds every address), else `http://127.0.0.1:8787`.",
    schema: httpUrl("CLAWOPS_URL"),
  },
} as const satisfies Record<string, VarSpec>;

/** Variables that hold secrets: read from the environment, else from Parameter Store. */
export const NODE_SECRET_NAMES = (Object.keys(NODE_VARS) as (keyof typeof NODE_VARS)[]).filter(
  (n) => (NODE_VARS[n] as VarSpec).secret,
);
