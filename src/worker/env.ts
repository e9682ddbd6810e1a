import { z } from "zod";

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
