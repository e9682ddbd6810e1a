import { z } from "zod";
import { parseHostLabels } from "../core/alerts/host-map.ts";
import { parseTriageEveryMs } from "../core/alerts/receive.ts";
import { type AuthzConfig, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/authz/authz.ts";
import { EMPTY_FREEZE_POLICY, type FreezePolicy, parseFreezePolicy } from "../core/freezes/policy.ts";
import { parseIncidentRouting } from "../core/incidents/routing.ts";
import type { IncidentRouting } from "../core/ports/deps.ts";
import type { DirectoryRpc, FanoutShardRpc, HostAgentRpc, RecoverParams, WatchShardRpc } from "./rpc.ts";

/**
 * The Worker's bindings as Cloudflare hands them over: secrets set with `wrangler secret put`,
 * vars from wrangler.toml. Every field is optional here because a fresh deploy has none set;
 * `parseWorkerConfig` says which one is missing.
 */
export interface WorkerEnv {
  SLACK_SIGNING_SECRET?: string;
  SLACK_BOT_TOKEN?: string;
  /** Only for a stand-in Slack (tests, staging); defaults to the real Web API. */
  SLACK_API_URL?: string;
  /**
   * Bearer token for the operator API (`POST /api/admin/enrollment-codes`,
   * `GET /api/hosts/<host>/agent`). Unset: that API answers 503.
   */
  CLAWOPS_ADMIN_TOKEN?: string;
  /**
   * Who may run mutating commands (freeze, unfreeze, recover, restart, doctor.fix): the JSON the
   * Node runtime reads from CLAWOPS_AUTHZ_FILE, as a var or secret. Unset: read-only commands only.
   */
  CLAWOPS_AUTHZ?: string;
  /** Channels every freeze notice also goes to, comma-separated ids (as on Node). */
  CLAWOPS_ANNOUNCE_CHANNELS?: string;
  /**
   * The freeze policy (which watch transitions freeze a host automatically): the JSON the Node
   * runtime reads from the file CLAWOPS_FREEZE_POLICY names, here as the var's value. Unset: none.
   */
  CLAWOPS_FREEZE_POLICY?: string;
  /** Minutes before a scheduled freeze starts that its warning goes out (default 15), as on Node. */
  CLAWOPS_FREEZE_WARN_MIN?: string;
  /** Where automatic incidents (watch, alerts, automatic freezes) go: a channel id, as on Node. */
  CLAWOPS_INCIDENT_CHANNEL?: string;
  /** Per-host channels for those, `node-*=C0123,tag:edge=C0456` (first match wins), as on Node. */
  CLAWOPS_HOST_CHANNELS?: string;
  /** Bearer token of `POST /alerts/alertmanager` and `/alerts/grafana` (a secret). Unset: they answer 503. */
  CLAWOPS_ALERT_TOKEN?: string;
  /** Signing secret of the PagerDuty v3 webhook subscription (a secret). Unset: `/alerts/pagerduty` answers 503. */
  PAGERDUTY_WEBHOOK_SECRET?: string;
  /** The labels that name an alert's host, in order (default `clawops_host,host,instance`), as on Node. */
  CLAWOPS_ALERT_HOST_LABELS?: string;
  /** At most one alert-started triage per host in this many minutes (default 5; 0: every new alert), as on Node. */
  CLAWOPS_ALERT_TRIAGE_MINUTES?: string;
  /**
   * The control plane's approval signing key: an Ed25519 private JWK (`npm run -s clawops -- approval-key`).
   * Agents pin its public key at enrollment. Unset: `/openclaw recover` says how to set it.
   */
  CLAWOPS_APPROVAL_KEY?: string;
  /** How often "approve once drained" re-reads what is in flight, in ms (default 15000). */
  CLAWOPS_DRAIN_POLL_MS?: string;
  /** Agent heartbeat interval in ms (a var); each heartbeat wakes the host's object. */
  AGENT_HEARTBEAT_MS?: string;
  /** The least severe log line written: debug, info (default), warn or error (a var). */
  LOG_LEVEL?: string;
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
  /** Hosts per fan-out object in a live `status` (default 200, at most 1000): the subrequests one object makes. */
  CLAWOPS_FANOUT_GROUP?: string;
  /** The watch's interval, digest period and flap window, in seconds, as on Node. */
  CLAWOPS_WATCH_INTERVAL_S?: string;
  CLAWOPS_WATCH_DIGEST_S?: string;
  CLAWOPS_WATCH_FLAP_WINDOW_S?: string;
  /** One Workflow instance per `/openclaw recover` run (src/worker/recover-workflow.ts). */
  RECOVER?: Workflow<RecoverParams>;
  /** R2 bucket for diagnostic bundles (src/worker/r2-blob-store.ts). */
  BUNDLES?: R2Bucket;
  /** HMAC key of bundle download links (a secret, 32+ characters). Unset: bundles are off. */
  CLAWOPS_LINK_SECRET?: string;
  /** Base URL of bundle links; defaults to the Worker's own origin. */
  CLAWOPS_PUBLIC_URL?: string;
  /** Bundle retention in days (14) and link lifetime in hours (168), as on Node. */
  CLAWOPS_BUNDLE_RETENTION_DAYS?: string;
  CLAWOPS_BUNDLE_LINK_HOURS?: string;
  /** Tickets for `/openclaw bundle --ticket` (secrets for the tokens), as on Node. */
  JIRA_BASE_URL?: string;
  JIRA_EMAIL?: string;
  JIRA_API_TOKEN?: string;
  GITHUB_TOKEN?: string;
  GITHUB_REPO?: string;
  GITHUB_API_URL?: string;
}

const WorkerConfigSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export type WorkerConfig = z.infer<typeof WorkerConfigSchema> & {
  authz: AuthzConfig;
  announceChannels: string[];
  incidents: IncidentRouting;
  alertHostLabels: string[];
  alertTriageEveryMs: number;
  freezePolicy: FreezePolicy;
  /** Unset: 15 min. */
  freezeWarnMs?: number;
};

export type WorkerConfigResult = { ok: true; config: WorkerConfig } | { ok: false; problems: string[] };

/** Parses the bindings once at the edge. Problems name the binding only, never its value. */
export function parseWorkerConfig(env: WorkerEnv): WorkerConfigResult {
  const parsed = WorkerConfigSchema.safeParse({
    SLACK_SIGNING_SECRET: env.SLACK_SIGNING_SECRET,
    SLACK_BOT_TOKEN: env.SLACK_BOT_TOKEN,
    // An empty var means "not set", as it does for the Node runtime's environment.
    SLACK_API_URL: env.SLACK_API_URL || undefined,
  });
  const problems = parsed.success
    ? []
    : [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].map((name) =>
        name === "SLACK_API_URL"
          ? "SLACK_API_URL is not an http(s) URL; unset it to use the Slack Web API."
          : `${name} is not set; run \`npx wrangler secret put ${name}\`.`,
      );
  let authz = DEFAULT_AUTHZ;
  if (env.CLAWOPS_AUTHZ) {
    try {
      authz = parseAuthzConfig(JSON.parse(env.CLAWOPS_AUTHZ), "CLAWOPS_AUTHZ");
    } catch (err) {
      // The parser names the field; never echo the value.
      problems.push(
        err instanceof SyntaxError ? "CLAWOPS_AUTHZ is not valid JSON." : (err as Error).message.slice(0, 300),
      );
    }
  }
  let freezePolicy = EMPTY_FREEZE_POLICY;
  if (env.CLAWOPS_FREEZE_POLICY) {
    try {
      freezePolicy = parseFreezePolicy(JSON.parse(env.CLAWOPS_FREEZE_POLICY), "CLAWOPS_FREEZE_POLICY");
    } catch (err) {
      problems.push(
        err instanceof SyntaxError ? "CLAWOPS_FREEZE_POLICY is not valid JSON." : (err as Error).message.slice(0, 300),
      );
    }
  }
  const warnMin = env.CLAWOPS_FREEZE_WARN_MIN?.trim() ? Number(env.CLAWOPS_FREEZE_WARN_MIN) : undefined;
  if (warnMin !== undefined && !(Number.isFinite(warnMin) && warnMin > 0 && warnMin <= 24 * 60)) {
    problems.push("CLAWOPS_FREEZE_WARN_MIN must be minutes between 0 and 1440.");
  }
  let incidents: IncidentRouting = { rules: [] };
  try {
    incidents = parseIncidentRouting(env.CLAWOPS_INCIDENT_CHANNEL, env.CLAWOPS_HOST_CHANNELS);
  } catch (err) {
    problems.push((err as Error).message.slice(0, 300));
  }
  let alertHostLabels: string[] = [];
  let alertTriageEveryMs = 0;
  try {
    alertHostLabels = parseHostLabels(env.CLAWOPS_ALERT_HOST_LABELS);
    alertTriageEveryMs = parseTriageEveryMs(env.CLAWOPS_ALERT_TRIAGE_MINUTES);
  } catch (err) {
    problems.push((err as Error).message.slice(0, 300));
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const announceChannels = (env.CLAWOPS_ANNOUNCE_CHANNELS ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  return {
    ok: true,
    config: {
      ...parsed.data,
      authz,
      announceChannels,
      incidents,
      alertHostLabels,
      alertTriageEveryMs,
      freezePolicy,
      ...(warnMin !== undefined ? { freezeWarnMs: Math.round(warnMin * 60_000) } : {}),
    },
  };
}
