import { z } from "zod";
import type { ClawopsDirectory } from "./directory.ts";
import type { HostAgent } from "./host-agent.ts";

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
  /** Agent heartbeat interval in ms (a var); each heartbeat wakes the host's object. */
  AGENT_HEARTBEAT_MS?: string;
  /** The one directory Durable Object: hosts, enrollment codes, incidents, jobs (SQLite). */
  DIRECTORY: DurableObjectNamespace<ClawopsDirectory>;
  /** One Durable Object per host, named by the host: its agent's WebSocket. */
  HOSTS: DurableObjectNamespace<HostAgent>;
  /** R2 bucket for diagnostic bundles (src/worker/r2-blob-store.ts). */
  BUNDLES?: R2Bucket;
}

const WorkerConfigSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

export type WorkerConfigResult = { ok: true; config: WorkerConfig } | { ok: false; problems: string[] };

/** Parses the bindings once at the edge. Problems name the binding only, never its value. */
export function parseWorkerConfig(env: WorkerEnv): WorkerConfigResult {
  const parsed = WorkerConfigSchema.safeParse({
    SLACK_SIGNING_SECRET: env.SLACK_SIGNING_SECRET,
    SLACK_BOT_TOKEN: env.SLACK_BOT_TOKEN,
    // An empty var means "not set", as it does for the Node runtime's environment.
    SLACK_API_URL: env.SLACK_API_URL || undefined,
  });
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].map((name) =>
    name === "SLACK_API_URL"
      ? "SLACK_API_URL is not an http(s) URL; unset it to use the Slack Web API."
      : `${name} is not set; run \`npx wrangler secret put ${name}\`.`,
  );
  return { ok: false, problems };
}
