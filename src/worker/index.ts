import { createApp } from "../adapters/http/app.ts";
import { normalizeHostName } from "../core/commands/parse.ts";
import { isClawopsError } from "../core/errors.ts";
import { issueEnrollmentCode } from "../core/hub/enrollment.ts";
import { DirectoryStore } from "./directory-store.ts";
import { parseWorkerConfig, type WorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { R2BlobStore } from "./r2-blob-store.ts";
import { type ApprovalKeyResult, workerApprovalKey } from "./recovery.ts";
import { HOST_HEADER } from "./rpc.ts";
import { requestDeps, workerClock } from "./wiring.ts";

export { ClawopsDirectory } from "./directory.ts";
export type { WorkerEnv } from "./env.ts";
export { HostAgent } from "./host-agent.ts";
export { RecoverWorkflow } from "./recover-workflow.ts";

/** Where agents dial in (src/agent/connection.ts appends it to the server URL, with `?host=`). */
const AGENT_CONNECT_PATH = "/agent/connect";

/**
 * The Cloudflare Workers runtime: the same hono app as `npm start`, wired to web-standard
 * parts. State is in the directory Durable Object's SQLite (src/worker/directory.ts); each
 * host's agent socket is in its own HostAgent object (src/worker/host-agent.ts). The slow
 * half of a triage or bundle (Slack messages, the job on the agent) runs in that host's object;
 * a recover run is a Workflow instance (src/worker/recover-workflow.ts).
 */
const logger = createConsoleLogger("clawops-worker");

function appFor(config: WorkerConfig, env: WorkerEnv, origin: string, approval: ApprovalKeyResult) {
  // Built per request (wiring.ts). Triage and bundle jobs are queued and serialised in the
  // host's object, so this request's host queue never holds one.
  return createApp({
    deps: requestDeps({ env, config, logger }, origin, approval),
    slack: { signingSecret: config.SLACK_SIGNING_SECRET },
    runInBackground: (task, { executionCtx }) => {
      // Work after the response only survives if the runtime is told to wait for it.
      if (executionCtx) executionCtx.waitUntil(task);
      else logger.error("no execution context; background work may be cut off");
    },
  });
}

function notConfigured(problems: string[]): Response {
  logger.error("worker not configured", { problems: problems.join(" ") });
  const message = `clawops is not configured: ${problems.join(" ")}`;
  return Response.json({ ok: false, error: { code: "not_configured", message } }, { status: 503 });
}

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ ok: false, error: { code, message } }, { status });
}

/** Routes an agent's WebSocket upgrade to its host's object; the hello is verified there. */
function agentConnect(request: Request, env: WorkerEnv): Promise<Response> | Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return errorResponse(426, "upgrade_required", "Agents connect here with a WebSocket upgrade.");
  }
  const raw = new URL(request.url).searchParams.get("host");
  if (!raw) {
    return errorResponse(
      400,
      "bad_request",
      "Agent connections need ?host=<name>; upgrade clawops-agent to a version that sends it.",
    );
  }
  let host: string;
  try {
    host = normalizeHostName(raw);
  } catch (err) {
    if (isClawopsError(err)) return errorResponse(400, err.code, err.message);
    throw err;
  }
  const headers = new Headers(request.headers);
  headers.set(HOST_HEADER, host);
  return env.HOSTS.get(env.HOSTS.idFromName(host)).fetch(new Request(request, { headers }));
}

/** Operator API: bearer CLAWOPS_ADMIN_TOKEN, compared in constant time. */
async function adminAuthorized(request: Request, env: WorkerEnv): Promise<Response | null> {
  const token = env.CLAWOPS_ADMIN_TOKEN;
  if (!token) {
    return errorResponse(
      503,
      "not_configured",
      "The operator API is off: run `npx wrangler secret put CLAWOPS_ADMIN_TOKEN` to turn it on.",
    );
  }
  const given = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const digest = async (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  const [a, b] = await Promise.all([digest(given), digest(token)]);
  if (!crypto.subtle.timingSafeEqual(a, b)) {
    return errorResponse(401, "unauthorized", "Send `Authorization: Bearer <CLAWOPS_ADMIN_TOKEN>`.");
  }
  return null;
}

async function adminRoute(request: Request, env: WorkerEnv, url: URL): Promise<Response | null> {
  if (request.method === "POST" && url.pathname === "/api/admin/enrollment-codes") {
    const denied = await adminAuthorized(request, env);
    if (denied) return denied;
    const body = (await request.json().catch(() => null)) as { host?: unknown } | null;
    if (typeof body?.host !== "string") return errorResponse(400, "bad_request", "Body must be JSON {host}.");
    try {
      const issued = await issueEnrollmentCode(
        { store: new DirectoryStore(env.DIRECTORY), clock: workerClock },
        body.host,
      );
      logger.info("enrollment code issued", { host: issued.host });
      return Response.json({ ok: true, ...issued });
    } catch (err) {
      if (isClawopsError(err)) return errorResponse(err.status, err.code, err.message);
      throw err;
    }
  }
  const status = /^\/api\/hosts\/([^/]+)\/agent$/.exec(url.pathname);
  if (request.method === "GET" && status?.[1]) {
    const denied = await adminAuthorized(request, env);
    if (denied) return denied;
    let host: string;
    try {
      host = normalizeHostName(decodeURIComponent(status[1]));
    } catch (err) {
      if (isClawopsError(err)) return errorResponse(400, err.code, err.message);
      throw err;
    }
    return Response.json({ ok: true, agent: await env.HOSTS.get(env.HOSTS.idFromName(host)).status() });
  }
  return null;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const parsed = parseWorkerConfig(env);
    if (!parsed.ok) return notConfigured(parsed.problems);
    const url = new URL(request.url);
    if (url.pathname === AGENT_CONNECT_PATH) return agentConnect(request, env);
    const admin = await adminRoute(request, env, url);
    if (admin) return admin;
    return appFor(parsed.config, env, url.origin, await workerApprovalKey(env)).fetch(request, env, ctx);
  },

  /** The cron trigger in wrangler.toml: deletes bundles past their retention from R2. */
  async scheduled(_controller, env): Promise<void> {
    if (!env.BUNDLES) return;
    const removed = await new R2BlobStore(env.BUNDLES).cleanup(Date.now());
    if (removed > 0) logger.info("expired bundles deleted", { count: removed });
  },
} satisfies ExportedHandler<WorkerEnv>;
