import { discordCommandName } from "../adapters/discord/command.ts";
import { createApp } from "../adapters/http/app.ts";
import type { OpsOptions } from "../adapters/http/ops-routes.ts";
import { UNKNOWN_SOURCE } from "../adapters/http/source-limits.ts";
import { capabilityOff } from "../core/ports/deps.ts";
import { WORKER_ADMIN_OFF, workerRoutes } from "./admin-routes.ts";
import { workerAgentFiles } from "./agent-files.ts";
import { DirectoryStore } from "./directory-store.ts";
import { parseWorkerConfig, type WorkerConfig, type WorkerEnv, workerVar } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { R2BlobStore } from "./r2-blob-store.ts";
import { type ApprovalKeyResult, workerApprovalKey } from "./recovery.ts";
import {
  requestDeps,
  workerDiscordChat,
  workerMattermostChat,
  workerPublicUrl,
  workerTeamsChat,
  workerTeamsVerifier,
} from "./wiring.ts";

export { ClawopsDirectory } from "./directory.ts";
export type { WorkerEnv } from "./env.ts";
export { FanoutShard } from "./fanout-shard.ts";
export { HostAgent } from "./host-agent.ts";
export { RecoverWorkflow } from "./recover-workflow.ts";
export { WatchShard } from "./watch-shard.ts";

/**
 * The Cloudflare Workers runtime: the same hono app as `npm start`, wired to web-standard
 * parts. State is in the directory Durable Object's SQLite (src/worker/directory.ts); each
 * host's agent socket is in its own HostAgent object (src/worker/host-agent.ts). The slow
 * half of a triage or bundle (Slack messages, the job on the agent) runs in that host's object;
 * a recover run is a Workflow instance (src/worker/recover-workflow.ts).
 */
const logger = createConsoleLogger("clawops-worker");

function appFor(config: WorkerConfig, env: WorkerEnv, origin: string, approval: ApprovalKeyResult) {
  // Hosts install from and dial the public URL: CLAWOPS_PUBLIC_URL, else where this request came in.
  const publicUrl = workerPublicUrl(env, origin);
  // Built per request (wiring.ts). Triage and bundle jobs are queued and serialised in the
  // host's object, so this request's host queue never holds one.
  const teamsChat = workerTeamsChat(config, logger);
  const deps = requestDeps({ env, config, logger, teams: teamsChat }, origin, approval);
  const discordChat = workerDiscordChat(config, logger);
  const mattermostChat = workerMattermostChat(config, logger, publicUrl);
  const teamsVerifier = workerTeamsVerifier(config);
  return createApp({
    deps,
    slack: { signingSecret: config.SLACK_SIGNING_SECRET },
    // Discord's interactions endpoint (docs/discord.md): on when DISCORD_* are set.
    ...(config.discord && discordChat
      ? {
          discord: {
            publicKey: config.discord.publicKey,
            chat: discordChat,
            commandName: discordCommandName(undefined),
          },
        }
      : {}),
    // Mattermost's slash command and button actions (docs/mattermost.md): on when MATTERMOST_* are set.
    ...(config.mattermost && mattermostChat
      ? { mattermost: { commandToken: config.mattermost.commandToken, chat: mattermostChat } }
      : {}),
    // Teams' messaging endpoint (docs/teams.md): on when MICROSOFT_APP_* are set.
    ...(config.teams && teamsChat && teamsVerifier
      ? { teams: { verifier: teamsVerifier, tenantId: config.teams.tenantId, chat: teamsChat } }
      : {}),
    // Alert webhooks: the work after the 202 runs in waitUntil; triages in the host's object.
    alerts: {
      token: config.values.CLAWOPS_ALERT_TOKEN,
      pagerdutySecret: config.values.PAGERDUTY_WEBHOOK_SECRET,
      policy: { hostLabels: config.alertHostLabels, triageEveryMs: config.alertTriageEveryMs },
    },
    // Jira's webhook (issue 41): answers 503 while JIRA_WEBHOOK_SECRET is unset.
    tickets: { jiraWebhookSecret: config.values.JIRA_WEBHOOK_SECRET },
    // Per-source limits (enrollment): Cloudflare names the client.
    clientAddress: (c) => c.req.header("cf-connecting-ip") ?? UNKNOWN_SOURCE,
    runLater: (task, { executionCtx }) => {
      // Work after the response only survives if the runtime is told to wait for it.
      if (executionCtx) executionCtx.waitUntil(task);
      else logger.error("no execution context; work after the ack may be cut off");
    },
    // The host status API and the agents' WebSocket entry, under the app's one error shape.
    routes: [{ path: "/", app: workerRoutes(env) }],
    // `POST /api/admin/enrollment-codes` (CLAWOPS_ADMIN_TOKEN), as on Node.
    admin: { token: workerVar(env, "CLAWOPS_ADMIN_TOKEN"), off: WORKER_ADMIN_OFF },
    ops: workerOps(env),
    // The agent and its installer, built with the Worker (wrangler.toml's build and [assets]).
    agentFiles: workerAgentFiles(env, publicUrl),
  });
}

/**
 * /readyz on Workers: the directory object (hosts, jobs: the store) answers a query, and the
 * host objects' binding (where agents connect) is there. /metrics: 501, since a Worker has no
 * process that could hold counters between requests; Workers Logs and analytics cover it.
 */
function workerOps(env: WorkerEnv): OpsOptions {
  return {
    ready: [
      {
        name: "store",
        what: "the directory Durable Object answers a query",
        check: () => new DirectoryStore(env.DIRECTORY).listJobs({ limit: 1 }).then(() => {}),
      },
      {
        name: "hub",
        what: "the HOSTS Durable Object binding agents connect through is bound",
        check: () => {
          if (typeof env.HOSTS?.idFromName !== "function") throw new Error("no HOSTS binding");
        },
      },
    ],
    metrics: capabilityOff(
      "Prometheus metrics are served by the Node control plane only: a Worker keeps no counters between requests. Use Workers Logs and the Workers analytics instead.",
    ),
  };
}

function notConfigured(problems: string[]): Response {
  logger.error("worker not configured", { problems: problems.join(" ") });
  const message = `clawops is not configured: ${problems.join(" ")}`;
  return Response.json({ ok: false, error: { code: "not_configured", message } }, { status: 503 });
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    // Liveness needs nothing, not even a configuration: the Worker answers.
    if (request.method === "GET" && new URL(request.url).pathname === "/livez") {
      return Response.json({ ok: true }, { headers: { "cache-control": "no-store" } });
    }
    const parsed = parseWorkerConfig(env);
    if (!parsed.ok) return notConfigured(parsed.problems);
    const origin = new URL(request.url).origin;
    return appFor(parsed.config, env, origin, await workerApprovalKey(env)).fetch(request, env, ctx);
  },

  /** The cron trigger in wrangler.toml: deletes bundles past their retention from R2. */
  async scheduled(_controller, env): Promise<void> {
    if (!env.BUNDLES) return;
    const removed = await new R2BlobStore(env.BUNDLES).cleanup(Date.now());
    if (removed > 0) logger.info("expired bundles deleted", { count: removed });
  },
} satisfies ExportedHandler<WorkerEnv>;
