import type { z } from "zod";
import { type DiscordSettings, discordSettingsOf, discordSettingsProblem } from "../adapters/discord/settings.ts";
import { expiriesFromEnv } from "../adapters/env/expiries-settings.ts";
import { incidentChannelsOf, pagerDutyOf, ticketConfigOf } from "../adapters/env/settings.ts";
import { parseVars, textOf, type VarValues } from "../adapters/env/vars.ts";
import {
  type MattermostSettings,
  mattermostSettingsOf,
  mattermostSettingsProblem,
} from "../adapters/mattermost/settings.ts";
import { type TeamsSettings, teamsSettingsOf, teamsSettingsProblem } from "../adapters/teams/settings.ts";
import type { AuthzConfig } from "../core/authz/authz.ts";
import { bundleLifetimes } from "../core/bundles/bundle.ts";
import { ticketKeepMsFor } from "../core/bundles/keep.ts";
import type { FreezePolicy } from "../core/freezes/policy.ts";
import { incidentMirrorsProblem } from "../core/incidents/mirrors.ts";
import { digestFromEnv } from "../core/incidents/report.ts";
import { pagingFromEnv } from "../core/paging/settings.ts";
import type { TicketConfig } from "../core/ports/bundles.ts";
import type { IncidentChannelSettings, IncidentRouting } from "../core/ports/deps.ts";
import type { GroupingPolicy } from "../core/ports/incident-book.ts";
import type { PagerDutyServices } from "../core/ports/pagerduty.ts";
import type { PagingServices } from "../core/ports/paging.ts";
import { WORKER_VARS } from "./env-vars.ts";
import type { DirectoryRpc, FanoutShardRpc, HostAgentRpc, RecoverParams, WatchShardRpc } from "./rpc.ts";

/**
 * The Worker's configuration (issue 28): every variable of src/worker/env-vars.ts parsed
 * together, each problem listed; the bindings' types.
 */
type WorkerVarName = keyof typeof WORKER_VARS;
type WorkerValues = VarValues<typeof WORKER_VARS>;

/** The Worker's bindings as Cloudflare hands them over: every variable above (each may be unset on a fresh deploy), and the objects. */
export type WorkerEnv = { [K in WorkerVarName]?: string } & WorkerBindings;

interface WorkerBindings {
  /** The one directory Durable Object: hosts, enrollment codes, incidents, jobs (SQLite). */
  DIRECTORY: DurableObjectNamespace<DirectoryRpc>;
  /** One Durable Object per host, named by the host: its agent's WebSocket. */
  HOSTS: DurableObjectNamespace<HostAgentRpc>;
  /**
   * The watch (docs/watch.md): 16 shard objects holding a copy of every host's watch state, for
   * `/openclaw status`. Unbound: agents connected here do not watch.
   */
  WATCH_SHARDS?: DurableObjectNamespace<WatchShardRpc>;
  /**
   * The live fleet fan-out (`/openclaw status … --live`, src/worker/fanout-shard.ts): objects
   * that each quick-probe up to `CLAWOPS_FANOUT_GROUP` hosts, so no invocation calls every host.
   * Unbound: the Worker request calls every host's object itself.
   */
  FANOUT_SHARDS?: DurableObjectNamespace<FanoutShardRpc>;
  /** One Workflow instance per `/openclaw recover` run (src/worker/recover-workflow.ts). */
  RECOVER?: Workflow<RecoverParams>;
  /** R2 bucket for diagnostic bundles (src/worker/r2-blob-store.ts). */
  BUNDLES?: R2Bucket;
  /** wrangler.toml's `[assets]`: the agent and its install files, built with the Worker (src/worker/agent-files.ts). */
  ASSETS?: Fetcher;
}

/**
 * One variable, read through its schema where the whole configuration is not parsed (an
 * object's heartbeat, the logger): a bad value falls back to the default here, and
 * `parseWorkerConfig` lists it as a problem, so every request answers 503 saying so.
 */
export function workerVar<K extends WorkerVarName>(env: object, name: K): WorkerValues[K] {
  const value = (env as Partial<Record<string, unknown>>)[name];
  const text = typeof value === "string" ? textOf({ [name]: value }, name) : undefined;
  const schema = WORKER_VARS[name].schema as z.ZodType<WorkerValues[K], string | undefined>;
  const parsed = schema.safeParse(text);
  return parsed.success ? parsed.data : (schema.parse(undefined) as WorkerValues[K]);
}

export interface WorkerConfig {
  SLACK_SIGNING_SECRET: string;
  SLACK_BOT_TOKEN: string;
  SLACK_API_URL?: string;
  /** Discord beside Slack (DISCORD_*, docs/discord.md); unset: off. */
  discord?: DiscordSettings;
  /** Mattermost beside Slack (MATTERMOST_*, docs/mattermost.md); unset: off. */
  mattermost?: MattermostSettings;
  /** Microsoft Teams beside Slack (MICROSOFT_APP_*, docs/teams.md); unset: off. */
  teams?: TeamsSettings;
  values: WorkerValues;
  authz: AuthzConfig;
  announceChannels: string[];
  incidents: IncidentRouting;
  /** Fleet grouping (CLAWOPS_FLEET_GROUPING); false: off. */
  grouping: GroupingPolicy | false;
  /** Incident channels (CLAWOPS_INCIDENT_CHANNEL_*); unset: off. */
  incidentChannels?: IncidentChannelSettings;
  alertHostLabels: string[];
  alertTriageEveryMs: number;
  freezePolicy: FreezePolicy;
  /** Unset: 15 min. */
  freezeWarnMs?: number;
  /** Bundle lifetimes and tickets, as on Node. */
  bundleLifetimes: { retentionMs: number; linkTtlMs: number };
  tickets: TicketConfig;
  /** CLAWOPS_TICKET_LINK_DAYS, in ms. */
  ticketKeepMs: number;
  /** PagerDuty write-back (PAGERDUTY_API_TOKEN, PAGERDUTY_FROM, CLAWOPS_PAGERDUTY_RESOLVE); unset: off. */
  pagerduty?: PagerDutyServices;
  /** The team's pagers and the paging policy (docs/paging.md); unset: nobody is paged. */
  paging?: PagingServices;
  /** The weekly incident digest (CLAWOPS_DIGEST_CHANNEL); unset: none. */
  digest?: { channel: string; weekday: number; hourUtc: number };
  /** The expiry radar's weekly post and pages (CLAWOPS_EXPIRIES_*); unset: neither. */
  expiries?: { channel?: string; weekday: number; hourUtc: number; pageDays?: number };
}

export type WorkerConfigResult = { ok: true; config: WorkerConfig } | { ok: false; problems: string[] };

/** Parses the bindings once at the edge: every problem at once, each naming the binding (never a secret's value, nor a URL's but the public one). */
export function parseWorkerConfig(env: WorkerEnv): WorkerConfigResult {
  const raw = Object.fromEntries(
    (Object.keys(WORKER_VARS) as WorkerVarName[]).map((n) => [n, typeof env[n] === "string" ? env[n] : undefined]),
  );
  const parsed = parseVars(WORKER_VARS, raw);
  const pagerduty = pagerDutyOf(raw);
  const paging = pagingFromEnv(raw);
  let digest: WorkerConfig["digest"];
  try {
    digest = digestFromEnv(raw);
  } catch (err) {
    paging.problems.push(err instanceof Error ? err.message : String(err));
  }
  let expiries: WorkerConfig["expiries"];
  try {
    expiries = expiriesFromEnv(raw);
  } catch (err) {
    paging.problems.push(err instanceof Error ? err.message : String(err));
  }
  const mirrorsProblem = incidentMirrorsProblem(raw);
  if (mirrorsProblem) paging.problems.push(mirrorsProblem);
  const discordProblem = discordSettingsProblem(raw);
  const mattermostProblem = mattermostSettingsProblem(raw);
  const teamsProblem = teamsSettingsProblem(raw);
  if (
    !parsed.ok ||
    pagerduty.problem ||
    paging.problems.length > 0 ||
    discordProblem ||
    mattermostProblem ||
    teamsProblem
  ) {
    // The shared schema and the paging rules both check CLAWOPS_PAGING_POLICY: one line for it, as on Node.
    const problems = [
      ...(parsed.ok ? [] : parsed.problems),
      ...(discordProblem ? [discordProblem] : []),
      ...(mattermostProblem ? [mattermostProblem] : []),
      ...(teamsProblem ? [teamsProblem] : []),
      ...(pagerduty.problem ? [pagerduty.problem] : []),
      ...paging.problems,
    ];
    return { ok: false, problems: [...new Set(problems)] };
  }
  const v = parsed.values;
  const incidentChannel = v.CLAWOPS_INCIDENT_CHANNEL?.trim();
  return {
    ok: true,
    config: {
      SLACK_SIGNING_SECRET: v.SLACK_SIGNING_SECRET as string,
      SLACK_BOT_TOKEN: v.SLACK_BOT_TOKEN as string,
      ...(v.SLACK_API_URL ? { SLACK_API_URL: v.SLACK_API_URL } : {}),
      ...(discordSettingsOf(v) ? { discord: discordSettingsOf(v) } : {}),
      ...(mattermostSettingsOf(v) ? { mattermost: mattermostSettingsOf(v) } : {}),
      ...(teamsSettingsOf(v) ? { teams: teamsSettingsOf(v) } : {}),
      values: v,
      authz: v.CLAWOPS_AUTHZ,
      announceChannels: v.CLAWOPS_ANNOUNCE_CHANNELS,
      incidents: {
        rules: v.CLAWOPS_HOST_CHANNELS,
        ...(incidentChannel ? { defaultChannel: incidentChannel } : {}),
        // The same incidents announced on other chats, without buttons (issue 43, item 5).
        ...(v.CLAWOPS_INCIDENT_MIRRORS.length > 0 ? { mirrors: v.CLAWOPS_INCIDENT_MIRRORS } : {}),
      },
      grouping: v.CLAWOPS_FLEET_GROUPING,
      ...(incidentChannelsOf(v) ? { incidentChannels: incidentChannelsOf(v) } : {}),
      alertHostLabels: v.CLAWOPS_ALERT_HOST_LABELS,
      alertTriageEveryMs: v.CLAWOPS_ALERT_TRIAGE_MINUTES,
      freezePolicy: v.CLAWOPS_FREEZE_POLICY,
      ...(v.CLAWOPS_FREEZE_WARN_MIN !== undefined
        ? { freezeWarnMs: Math.round(v.CLAWOPS_FREEZE_WARN_MIN * 60_000) }
        : {}),
      bundleLifetimes: bundleLifetimes(v.CLAWOPS_BUNDLE_RETENTION_DAYS, v.CLAWOPS_BUNDLE_LINK_HOURS),
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
      ticketKeepMs: ticketKeepMsFor(v.CLAWOPS_TICKET_LINK_DAYS),
      ...(pagerduty.services ? { pagerduty: pagerduty.services } : {}),
      ...(paging.services ? { paging: paging.services } : {}),
      ...(digest ? { digest } : {}),
      ...(expiries ? { expiries } : {}),
    },
  };
}
