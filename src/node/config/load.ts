import { discordSettingsOf, discordSettingsProblem } from "../../adapters/discord/settings.ts";
import { expiriesFromEnv } from "../../adapters/env/expiries-settings.ts";
import { incidentChannelsOf, pagerDutyOf, ticketConfigOf } from "../../adapters/env/settings.ts";
import {
  parseVars,
  shownValue,
  textOf,
  type VarSource,
  type VarSpec,
  type VarValues,
} from "../../adapters/env/vars.ts";
import { mattermostSettingsOf, mattermostSettingsProblem } from "../../adapters/mattermost/settings.ts";
import { teamsSettingsOf, teamsSettingsProblem } from "../../adapters/teams/settings.ts";
import { errorMessage } from "../../contract/errors.ts";
import { bundleLifetimes } from "../../core/bundles/bundle.ts";
import { ticketKeepMsFor } from "../../core/bundles/keep.ts";
import { incidentMirrorsProblem } from "../../core/incidents/mirrors.ts";
import { digestFromEnv } from "../../core/incidents/report.ts";
import { pagingFromEnv } from "../../core/paging/settings.ts";
import type { Logger } from "../../core/ports/basics.ts";
import type { NodeBundleSettings } from "../bundles.ts";
import type { ControlPlaneConfig } from "../server.ts";
import { NODE_VARS } from "./schema.ts";

/**
 * The Node control plane's configuration: every variable of src/node/config/schema.ts parsed
 * together, with where each value came from. Secrets the environment lacks are read from
 * Parameter Store first when CLAWOPS_SSM_PARAMETER_PATH is set. Every problem is listed, not
 * only the first, so one edit of the env file fixes them all.
 */
export type NodeValues = VarValues<typeof NODE_VARS>;
type Name = keyof typeof NODE_VARS;

export interface NodeConfig {
  values: NodeValues;
  /** Each variable's text as read (after Parameter Store), for the banner's choices. */
  text: Readonly<Record<string, string | undefined>>;
  sources: Record<Name, VarSource>;
}

export type LoadedConfig =
  | { ok: true; config: NodeConfig; shown: ShownVar[] }
  | { ok: false; problems: string[]; shown: ShownVar[] };

/** One line of `clawops config`: the value as shown (a secret masked) and where it came from. */
export interface ShownVar {
  name: string;
  group: string;
  value: string;
  source: VarSource;
  secret: boolean;
}

export interface LoadOptions {
  /** `KEY=value` lines read from a file (systemd's EnvironmentFile, docker's --env-file): they win over `env`. */
  file?: { path: string; vars: Readonly<Record<string, string>> };
}

export async function loadNodeConfig(
  env: Readonly<Record<string, string | undefined>>,
  opts: LoadOptions = {},
): Promise<LoadedConfig> {
  const raw: Record<string, string | undefined> = { ...env, ...opts.file?.vars };
  const given: Partial<Record<Name, VarSource>> = {};
  for (const name of Object.keys(opts.file?.vars ?? {})) given[name as Name] = `file ${opts.file?.path}`;
  const problems: string[] = [];
  // Secrets the environment lacks, from Parameter Store; loaded only when asked for, so a plain
  // install never loads the AWS SDK.
  if (textOf(raw, "CLAWOPS_SSM_PARAMETER_PATH")) {
    try {
      const [{ resolveSecrets }, { ssmClients }] = await Promise.all([
        import("../secrets.ts"),
        import("../ssm-wiring.ts"),
      ]);
      const clients = ssmClients(raw);
      const { secrets, sources } = await resolveSecrets(raw, () => clients());
      for (const [name, value] of Object.entries(secrets)) {
        if (sources[name as keyof typeof sources] !== "ssm") continue;
        raw[name] = value;
        given[name as Name] = "Parameter Store";
      }
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  const parsed = parseVars(NODE_VARS, raw, given);
  problems.push(...(parsed.ok ? [] : parsed.problems), ...crossChecks(raw));
  const shown = (Object.keys(NODE_VARS) as Name[]).map(
    (name): ShownVar => ({
      name,
      group: NODE_VARS[name].group,
      value: shownValue(NODE_VARS[name] as VarSpec, textOf(raw, name)),
      source: parsed.sources[name],
      secret: !!(NODE_VARS[name] as VarSpec).secret,
    }),
  );
  if (!parsed.ok || problems.length > 0) return { ok: false, problems: [...new Set(problems)], shown };
  return { ok: true, config: { values: parsed.values, text: raw, sources: parsed.sources }, shown };
}

/** The rules that tie variables together, read from which are set (so they list with the rest). */
function crossChecks(raw: Readonly<Record<string, string | undefined>>): string[] {
  const set = (name: Name) => textOf(raw, name) !== undefined;
  const problems: string[] = [];
  const appToken = textOf(raw, "SLACK_APP_TOKEN")?.trim();
  if (appToken && !appToken.startsWith("xapp-")) {
    problems.push(
      `SLACK_APP_TOKEN must be an app-level token (xapp-…: Slack app > Basic Information > App-Level Tokens, scope connections:write) for Socket Mode; it starts with "${appToken.slice(0, 5)}"${appToken.startsWith("xoxb-") ? ", a bot token: that one goes in SLACK_BOT_TOKEN" : ""}.`,
    );
  }
  if (set("SLACK_APP_TOKEN") && !set("SLACK_BOT_TOKEN")) {
    problems.push("SLACK_APP_TOKEN (Socket Mode) needs SLACK_BOT_TOKEN too.");
  }
  if (!set("SLACK_APP_TOKEN") && set("SLACK_SIGNING_SECRET") !== set("SLACK_BOT_TOKEN")) {
    problems.push(
      "Set both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for Slack (or SLACK_APP_TOKEN and SLACK_BOT_TOKEN for Socket Mode), or none for the local console.",
    );
  }
  const slack = set("SLACK_BOT_TOKEN") && (set("SLACK_SIGNING_SECRET") || set("SLACK_APP_TOKEN"));
  // A chat (Slack, or Discord: issue 43) takes the console's place unless CLAWOPS_CONSOLE asks for both.
  const discord = discordSettingsOf({
    DISCORD_PUBLIC_KEY: textOf(raw, "DISCORD_PUBLIC_KEY"),
    DISCORD_APPLICATION_ID: textOf(raw, "DISCORD_APPLICATION_ID"),
    DISCORD_BOT_TOKEN: textOf(raw, "DISCORD_BOT_TOKEN"),
  });
  const mattermost = mattermostSettingsOf({
    MATTERMOST_URL: textOf(raw, "MATTERMOST_URL"),
    MATTERMOST_BOT_TOKEN: textOf(raw, "MATTERMOST_BOT_TOKEN"),
    MATTERMOST_COMMAND_TOKEN: textOf(raw, "MATTERMOST_COMMAND_TOKEN"),
  });
  // Teams: the app and tenant with one credential, the password or the certificate's two settings.
  const teams =
    set("MICROSOFT_APP_ID") &&
    set("MICROSOFT_APP_TENANT_ID") &&
    (set("MICROSOFT_APP_PASSWORD") ||
      (set("MICROSOFT_APP_CERTIFICATE_THUMBPRINT") && set("MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY")));
  const consoleOn =
    (!slack && !discord && !mattermost && !teams) ||
    /^(1|true|yes|on)$/i.test(textOf(raw, "CLAWOPS_CONSOLE")?.trim() ?? "");
  const bind = textOf(raw, "CLAWOPS_BIND")?.trim() ?? "127.0.0.1";
  if (consoleOn && !isLoopback(bind)) {
    // The console is one operator's, on this machine: it answers only to loopback host names,
    // so on another address it would refuse everyone anyway.
    problems.push(
      `The local console is served on loopback only (CLAWOPS_BIND=${bind}). ` +
        "Keep CLAWOPS_BIND=127.0.0.1, or configure Slack (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN) without CLAWOPS_CONSOLE=1.",
    );
  }
  if (
    textOf(raw, "CLAWOPS_TRANSPORT")?.trim() === "ssm" &&
    !set("CLAWOPS_SSM_INVENTORY") &&
    !set("CLAWOPS_SSM_INVENTORY_JSON")
  ) {
    problems.push(
      "CLAWOPS_TRANSPORT=ssm needs an inventory: set CLAWOPS_SSM_INVENTORY to a JSON file (see infra/ssm).",
    );
  }
  const discordProblem = discordSettingsProblem(raw);
  if (discordProblem) problems.push(discordProblem);
  const mattermostProblem = mattermostSettingsProblem(raw);
  if (mattermostProblem) problems.push(mattermostProblem);
  const teamsProblem = teamsSettingsProblem(raw);
  if (teamsProblem) problems.push(teamsProblem);
  const mirrors = incidentMirrorsProblem({
    CLAWOPS_INCIDENT_MIRRORS: textOf(raw, "CLAWOPS_INCIDENT_MIRRORS"),
    CLAWOPS_INCIDENT_CHANNEL: textOf(raw, "CLAWOPS_INCIDENT_CHANNEL"),
  });
  if (mirrors) problems.push(mirrors);
  const pagerduty = pagerDutyOf(raw).problem;
  if (pagerduty) problems.push(pagerduty);
  problems.push(...pagingFromEnv(raw).problems);
  try {
    digestFromEnv(raw);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  try {
    expiriesFromEnv(raw);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  return problems;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether Slack is configured (over HTTP, Socket Mode or both), and so what the start serves. */
export function slackOf(config: NodeConfig): ControlPlaneConfig["slack"] {
  const v = config.values;
  if (!v.SLACK_BOT_TOKEN || !(v.SLACK_SIGNING_SECRET || v.SLACK_APP_TOKEN)) return undefined;
  return { signingSecret: v.SLACK_SIGNING_SECRET, botToken: v.SLACK_BOT_TOKEN, apiUrl: v.SLACK_API_URL };
}

/** The control plane's settings from the configuration (the SSM transport and logger are the caller's). */
export function controlPlaneSettings(config: NodeConfig, logger: Logger): ControlPlaneConfig {
  const v = config.values;
  const slack = slackOf(config);
  return {
    port: v.CLAWOPS_PORT,
    bind: v.CLAWOPS_BIND,
    dataDir: v.CLAWOPS_DATA_DIR,
    slack,
    ...(discordSettingsOf(v) ? { discord: discordSettingsOf(v) } : {}),
    ...(mattermostSettingsOf(v) ? { mattermost: mattermostSettingsOf(v) } : {}),
    ...(teamsSettingsOf(v) ? { teams: teamsSettingsOf(v) } : {}),
    metricsToken: v.CLAWOPS_METRICS_TOKEN,
    adminToken: v.CLAWOPS_ADMIN_TOKEN,
    // Per-source limits (enrollment, agent downloads) behind a reverse proxy on this machine.
    trustProxy: v.CLAWOPS_TRUST_PROXY,
    console: (!slack && !discordSettingsOf(v) && !mattermostSettingsOf(v) && !teamsSettingsOf(v)) || v.CLAWOPS_CONSOLE,
    logger,
    // OpenClaw's own Slack app registers /openclaw too: a workspace with both names ours apart.
    commandName: v.CLAWOPS_COMMAND,
    // Where watch transitions, alerts and automatic freezes open their threads.
    incidents: {
      rules: v.CLAWOPS_HOST_CHANNELS,
      ...(v.CLAWOPS_INCIDENT_CHANNEL?.trim() ? { defaultChannel: v.CLAWOPS_INCIDENT_CHANNEL.trim() } : {}),
      // The same incidents announced on other chats, without buttons (issue 43, item 5).
      ...(v.CLAWOPS_INCIDENT_MIRRORS.length > 0 ? { mirrors: v.CLAWOPS_INCIDENT_MIRRORS } : {}),
    },
    // Hosts failing together with one cause are one fleet incident (docs/incidents.md).
    grouping: v.CLAWOPS_FLEET_GROUPING,
    // An incident's own channel (issue 41, item 2); off: threads only.
    ...withIncidentChannels(incidentChannelsOf(v)),
    // Agents probe their gateway every 30 s and report changes (docs/watch.md).
    watch: {
      ...(v.CLAWOPS_WATCH_INTERVAL_S !== undefined ? { intervalMs: v.CLAWOPS_WATCH_INTERVAL_S } : {}),
      ...(v.CLAWOPS_WATCH_DIGEST_S !== undefined ? { digestMs: v.CLAWOPS_WATCH_DIGEST_S } : {}),
      ...(v.CLAWOPS_WATCH_FLAP_WINDOW_S !== undefined ? { flapWindowMs: v.CLAWOPS_WATCH_FLAP_WINDOW_S } : {}),
      ...(v.CLAWOPS_WATCH_LOST_S !== undefined ? { lostAfterMs: v.CLAWOPS_WATCH_LOST_S } : {}),
    },
    // Alert webhooks (docs/alerts.md): each route answers 503 while its secret is unset.
    alerts: {
      token: v.CLAWOPS_ALERT_TOKEN,
      pagerdutySecret: v.PAGERDUTY_WEBHOOK_SECRET,
      policy: { hostLabels: v.CLAWOPS_ALERT_HOST_LABELS, triageEveryMs: v.CLAWOPS_ALERT_TRIAGE_MINUTES },
    },
    // Jira's webhook (docs/tickets.md): answers 503 while its secret is unset.
    tickets: { jiraWebhookSecret: v.JIRA_WEBHOOK_SECRET },
    ...(v.CLAWOPS_PUBLIC_URL ? { publicUrl: v.CLAWOPS_PUBLIC_URL } : {}),
    ...(v.CLAWOPS_AGENT_FILE ? { agentFile: v.CLAWOPS_AGENT_FILE } : {}),
    ...(v.CLAWOPS_KNOWN_ISSUES_FILE ? { knownIssues: v.CLAWOPS_KNOWN_ISSUES_FILE.value } : {}),
    bundles: bundleSettings(config),
    ...withPagerDuty(pagerDutySettings(config)),
    ...pagingSettings(config),
    ...digestSettings(config),
    ...expiriesSettings(config),
    recovery: {
      ...(v.CLAWOPS_AUTHZ_FILE ? { authz: v.CLAWOPS_AUTHZ_FILE.value } : {}),
      announceChannels: v.CLAWOPS_ANNOUNCE_CHANNELS,
      ...(v.CLAWOPS_FREEZE_POLICY ? { freezePolicy: v.CLAWOPS_FREEZE_POLICY.value } : {}),
      ...(v.CLAWOPS_FREEZE_WARN_MIN !== undefined ? { freezeWarnMin: v.CLAWOPS_FREEZE_WARN_MIN } : {}),
    },
  };
}

function bundleSettings(config: NodeConfig): NodeBundleSettings {
  const v = config.values;
  return {
    ...(v.CLAWOPS_LINK_SECRET ? { linkSecret: v.CLAWOPS_LINK_SECRET } : {}),
    // Core's rule for the two lifetimes (the link never outlives the bundle), from the checked text.
    ...bundleLifetimes(v.CLAWOPS_BUNDLE_RETENTION_DAYS, v.CLAWOPS_BUNDLE_LINK_HOURS),
    tickets: ticketConfigOf({
      JIRA_BASE_URL: v.JIRA_BASE_URL,
      JIRA_EMAIL: v.JIRA_EMAIL,
      JIRA_API_TOKEN: v.JIRA_API_TOKEN,
      JIRA_PROJECT: v.JIRA_PROJECT,
      JIRA_ISSUE_TYPE: v.JIRA_ISSUE_TYPE,
      JIRA_RESOLVE_TRANSITION: v.JIRA_RESOLVE_TRANSITION,
      GITHUB_TOKEN: v.GITHUB_TOKEN,
      GITHUB_REPO: v.GITHUB_REPO,
      GITHUB_API_URL: v.GITHUB_API_URL,
    }),
    ...(v.CLAWOPS_TICKETS_FILE ? { ticketsByWorkspace: v.CLAWOPS_TICKETS_FILE.value } : {}),
    ...(v.CLAWOPS_TICKET_RETRY_BASE_MS ? { retryBaseMs: v.CLAWOPS_TICKET_RETRY_BASE_MS } : {}),
    ticketKeepMs: ticketKeepMsFor(v.CLAWOPS_TICKET_LINK_DAYS),
  };
}

const withIncidentChannels = (incidentChannels: ControlPlaneConfig["incidentChannels"]) =>
  incidentChannels ? { incidentChannels } : {};

const withPagerDuty = (pagerduty: ControlPlaneConfig["pagerduty"]) => (pagerduty ? { pagerduty } : {});

/** PagerDuty write-back (issue 29, item 7): off unless PAGERDUTY_API_TOKEN and PAGERDUTY_FROM are set. */
/** The weekly incident digest (opt-in); the values were checked with the start's problems. */
function digestSettings(config: NodeConfig): Pick<ControlPlaneConfig, "digest"> {
  const v = config.values;
  const digest = digestFromEnv({
    CLAWOPS_DIGEST_CHANNEL: v.CLAWOPS_DIGEST_CHANNEL,
    CLAWOPS_DIGEST_DAY: v.CLAWOPS_DIGEST_DAY,
    CLAWOPS_DIGEST_HOUR_UTC: v.CLAWOPS_DIGEST_HOUR_UTC,
  });
  return digest ? { digest } : {};
}

/** The expiry radar's weekly post and pages (opt-in); the values were checked with the start's problems. */
function expiriesSettings(config: NodeConfig): Pick<ControlPlaneConfig, "expiries"> {
  const v = config.values;
  const expiries = expiriesFromEnv({
    CLAWOPS_EXPIRIES_CHANNEL: v.CLAWOPS_EXPIRIES_CHANNEL,
    CLAWOPS_EXPIRIES_DAY: v.CLAWOPS_EXPIRIES_DAY,
    CLAWOPS_EXPIRIES_HOUR_UTC: v.CLAWOPS_EXPIRIES_HOUR_UTC,
    CLAWOPS_EXPIRIES_PAGE_DAYS: v.CLAWOPS_EXPIRIES_PAGE_DAYS,
    CLAWOPS_INCIDENT_CHANNEL: v.CLAWOPS_INCIDENT_CHANNEL,
    CLAWOPS_HOST_CHANNELS: v.CLAWOPS_HOST_CHANNELS.length > 0 ? "set" : undefined,
  });
  return expiries ? { expiries } : {};
}

/** The team's pagers and the paging policy (docs/paging.md); none configured: nobody is paged. */
function pagingSettings(config: NodeConfig): Pick<ControlPlaneConfig, "paging"> {
  const v = config.values;
  const { services } = pagingFromEnv({
    CLAWOPS_PAGERDUTY_ROUTING_KEY: v.CLAWOPS_PAGERDUTY_ROUTING_KEY,
    PAGERDUTY_EVENTS_URL: v.PAGERDUTY_EVENTS_URL,
    CLAWOPS_OPSGENIE_API_KEY: v.CLAWOPS_OPSGENIE_API_KEY,
    OPSGENIE_API_URL: v.OPSGENIE_API_URL,
    CLAWOPS_PAGE_WEBHOOK_URL: v.CLAWOPS_PAGE_WEBHOOK_URL,
    CLAWOPS_PAGE_WEBHOOK_SECRET: v.CLAWOPS_PAGE_WEBHOOK_SECRET,
    CLAWOPS_ESCALATION_LEVELS: v.CLAWOPS_ESCALATION_LEVELS,
    CLAWOPS_ESCALATION_AFTER_MIN: v.CLAWOPS_ESCALATION_AFTER_MIN,
    CLAWOPS_ESCALATION_REPEAT: v.CLAWOPS_ESCALATION_REPEAT,
  });
  // The policy as the schema parsed it (its default included).
  return services ? { paging: { ...services, policy: v.CLAWOPS_PAGING_POLICY } } : {};
}

function pagerDutySettings(config: NodeConfig): ControlPlaneConfig["pagerduty"] {
  const v = config.values;
  const { services } = pagerDutyOf({
    PAGERDUTY_API_TOKEN: v.PAGERDUTY_API_TOKEN,
    PAGERDUTY_FROM: v.PAGERDUTY_FROM,
    PAGERDUTY_API_URL: v.PAGERDUTY_API_URL,
    CLAWOPS_PAGERDUTY_RESOLVE: v.CLAWOPS_PAGERDUTY_RESOLVE ? "1" : "0",
  });
  if (!services) return undefined;
  return v.CLAWOPS_TICKET_RETRY_BASE_MS
    ? { ...services, retry: { attempts: 3, baseMs: v.CLAWOPS_TICKET_RETRY_BASE_MS } }
    : services;
}
