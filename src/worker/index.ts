import { createApp } from "../core/app.ts";
import { InMemoryStore } from "../core/memory-store.ts";
import type { Clock, Ids } from "../core/ports.ts";
import { Authorizer } from "../core/recovery/authz.ts";
import { DecisionBus } from "../core/recovery/confirm.ts";
import { InMemoryRecoveryStore } from "../core/recovery/memory-store.ts";
import type { CoreDeps } from "../core/service/deps.ts";
import { HostJobQueue } from "../core/service/host-queue.ts";
import { SlackWebApiChat } from "../core/slack/web-api.ts";
import { parseWorkerConfig, type WorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { OfflineHostTransport } from "./offline-transport.ts";

export type { WorkerEnv } from "./env.ts";

/**
 * The Cloudflare Workers runtime: the same hono app as `npm start`, wired to web-standard
 * parts. State lives in this isolate's memory for now; hosts stay offline until agent
 * sockets get a Durable Object (which will be exported from this module, next to `default`).
 */
const logger = createConsoleLogger("clawops-worker");
const clock: Clock = { now: () => Date.now() };
const ids: Ids = { id: (prefix) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` };
// One store per isolate, shared by every request it serves (and lost with it).
const store = new InMemoryStore();
const transport = new OfflineHostTransport();
// Never used while every host is offline. Its promise chains span requests, which Workers
// forbids for I/O, so with agent sockets it moves into the host's Durable Object.
const hostQueue = new HostJobQueue();
// Freezes and audit in isolate memory too; no authorization file yet, so Slack users get the
// default (read-only commands only). Expiry needs a Durable Object alarm driving expireFreezes.
const recovery = {
  store: new InMemoryRecoveryStore(),
  authz: new Authorizer(),
  announceChannels: [],
  decisions: new DecisionBus(),
};

type App = ReturnType<typeof createApp>;
let current: { key: string; app: App } | null = null;

function appFor(config: WorkerConfig): App {
  // Deployed bindings never change within an isolate (a new secret means a new deployment);
  // the key just keeps a caller with other bindings, such as a test, from a stale app.
  const key = JSON.stringify([config.SLACK_SIGNING_SECRET, config.SLACK_BOT_TOKEN, config.SLACK_API_URL ?? null]);
  if (current?.key === key) return current.app;
  const chat = new SlackWebApiChat({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, logger });
  const deps: CoreDeps = { store, transport, chat, clock, ids, logger, hostQueue, recovery };
  const app = createApp({
    deps,
    slack: { signingSecret: config.SLACK_SIGNING_SECRET },
    runInBackground: (task, { executionCtx }) => {
      // Work after the response only survives if the runtime is told to wait for it.
      if (executionCtx) executionCtx.waitUntil(task);
      else logger.error("no execution context; background work may be cut off");
    },
  });
  current = { key, app };
  return app;
}

function notConfigured(problems: string[]): Response {
  logger.error("worker not configured", { problems: problems.join(" ") });
  const message = `clawops is not configured: ${problems.join(" ")}`;
  return Response.json({ ok: false, error: { code: "not_configured", message } }, { status: 503 });
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const parsed = parseWorkerConfig(env);
    if (!parsed.ok) return notConfigured(parsed.problems);
    return appFor(parsed.config).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerEnv>;
