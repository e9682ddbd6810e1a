import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DISCORD_VARS } from "../../adapters/discord/settings.ts";
import {
  BUNDLES,
  FREEZES,
  INCIDENTS,
  SERVER,
  SHARED_ALERT_VARS,
  SHARED_BUNDLE_VARS,
  SHARED_FREEZE_VARS,
  SHARED_INCIDENT_VARS,
  SHARED_SERVER_VARS,
  SHARED_SLACK_VARS,
  SLACK,
} from "../../adapters/env/shared-vars.ts";
import {
  flag,
  httpUrl,
  optionalText,
  parsedBy,
  secretText,
  type VarSpec,
  wholeNumber,
} from "../../adapters/env/vars.ts";
import { MATTERMOST_VARS } from "../../adapters/mattermost/settings.ts";
import { TEAMS_VARS } from "../../adapters/teams/settings.ts";
import { errorMessage } from "../../contract/errors.ts";
import { parseAuthzConfig } from "../../core/authz/authz.ts";
import { parseFreezePolicy } from "../../core/freezes/policy.ts";
import { builtinKnownIssues } from "../../core/known-issues/builtin.ts";
import { mergeCatalogs, parseCatalog } from "../../core/known-issues/schema.ts";
import { parseCommandName } from "../../core/messages/command-name.ts";
import { normalizeHostName } from "../../core/vocabulary/hosts.ts";
import { parseTrustProxy } from "../client-address.ts";
import { localHostName } from "../host-name.ts";
import { loadSsmInventory } from "../ssm-inventory.ts";
import { parseTicketsFile } from "../tickets-file.ts";

/**
 * Every variable the Node control plane (`npm start`) reads, declared once (issue 28): those the
 * Worker reads too come from the shared table (src/adapters/env/shared-vars.ts), the rest are
 * Node's own. The start parses them all together and lists every problem at once
 * (src/node/config/load.ts); `clawops config` prints what each is and where it came from;
 * docs/configuration.md is written from this table (`npm run docs:config`). Files a variable names (authorization, freeze policy,
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
  // The `...SHARED_*` groups: the variables the Worker reads too, checked the same way there
  // (src/adapters/env/shared-vars.ts).
  ...SHARED_SERVER_VARS,
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
    doc: "The Slack app's signing secret (Basic Information): with SLACK_BOT_TOKEN, Slack over HTTP (`POST /slack/commands`, `/slack/interactions`, and `/slack/events`: the team's messages in incident threads, docs/slack.md).",
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
  ...SHARED_SLACK_VARS,
  // Discord beside Slack (issue 43): the same table on Node and Workers.
  ...DISCORD_VARS,
  // Mattermost beside Slack and Discord (issue 43): the same table on Node and Workers.
  ...MATTERMOST_VARS,
  // Microsoft Teams beside the others (issue 43): the same table on Node and Workers.
  ...TEAMS_VARS,
  ...SHARED_INCIDENT_VARS,
  CLAWOPS_KNOWN_ISSUES_FILE: {
    group: INCIDENTS,
    doc: "The operator's known-issue catalog, a JSON file in the shipped catalog's format (docs/known-issues.md): its entries are added to the shipped ones (the same id replaces one). Read once at start, never fetched. Unset: the shipped catalog only.",
    schema: jsonFile("CLAWOPS_KNOWN_ISSUES_FILE", (raw, where) =>
      mergeCatalogs(builtinKnownIssues(), parseCatalog(raw, where)),
    ),
  },
  ...SHARED_ALERT_VARS,
  CLAWOPS_AUTHZ_FILE: {
    group: FREEZES,
    doc: "The authorization JSON file: who may freeze, recover, restart (docs/recovery.md). Unset: mutations only from the local console.",
    schema: jsonFile("CLAWOPS_AUTHZ_FILE", parseAuthzConfig),
  },
  ...SHARED_FREEZE_VARS,
  CLAWOPS_FREEZE_POLICY: {
    group: FREEZES,
    doc: "The freeze policy JSON file: which held watch transitions freeze a host by themselves (docs/freezes.md). Unset: none.",
    schema: jsonFile("CLAWOPS_FREEZE_POLICY", parseFreezePolicy),
  },
  ...SHARED_BUNDLE_VARS,
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
