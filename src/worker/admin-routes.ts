import { Hono, type MiddlewareHandler } from "hono";
import { bearerGuard } from "../adapters/http/ops-routes.ts";
import { ClawopsError } from "../core/errors.ts";
import { normalizeHostName } from "../core/vocabulary/hosts.ts";
import { type WorkerEnv, workerVar } from "./env.ts";
import { HOST_HEADER } from "./rpc.ts";

/** Where agents dial in (src/agent/connection.ts appends it to the server URL, with `?host=`). */
export const AGENT_CONNECT_PATH = "/agent/connect";

/**
 * The Worker's own routes, mounted in the shared hono app (src/adapters/http/app.ts) so their
 * errors take its one JSON shape: the host status API and the agents' WebSocket entry.
 */
export function workerRoutes(env: WorkerEnv) {
  const app = new Hono();
  app.all(AGENT_CONNECT_PATH, (c) => agentConnect(c.req.raw, env));
  app.route("/api", operatorRoutes(env));
  return app;
}

/** Routes an agent's WebSocket upgrade to its host's object; the hello is verified there. */
function agentConnect(request: Request, env: WorkerEnv): Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new ClawopsError("upgrade_required", "Agents connect here with a WebSocket upgrade.", { status: 426 });
  }
  const raw = new URL(request.url).searchParams.get("host");
  if (!raw) {
    throw new ClawopsError(
      "bad_request",
      "Agent connections need ?host=<name>; upgrade clawops-agent to a version that sends it.",
    );
  }
  const host = normalizeHostName(raw);
  const headers = new Headers(request.headers);
  headers.set(HOST_HEADER, host);
  return env.HOSTS.get(env.HOSTS.idFromName(host)).fetch(new Request(request, { headers }));
}

/**
 * The Worker's part of the operator API, `GET /api/hosts/:host/agent` (the enrollment codes are
 * the shared admin-routes.ts): bearer CLAWOPS_ADMIN_TOKEN, checked before anything is read;
 * off (503) while the secret is unset.
 */
function operatorRoutes(env: WorkerEnv) {
  const app = new Hono();
  const admin = adminBearer(env);
  app.get("/hosts/:host/agent", admin, async (c) => {
    const host = normalizeHostName(c.req.param("host"));
    return c.json({ ok: true, agent: await env.HOSTS.get(env.HOSTS.idFromName(host)).status() });
  });
  return app;
}

/** What the operator API says while CLAWOPS_ADMIN_TOKEN is unset on a Worker. */
export const WORKER_ADMIN_OFF =
  "The operator API is off: run `npx wrangler secret put CLAWOPS_ADMIN_TOKEN` to turn it on.";

/** Bearer CLAWOPS_ADMIN_TOKEN, compared in constant time; off (503) when unset. */
function adminBearer(env: WorkerEnv): MiddlewareHandler {
  return bearerGuard({
    token: workerVar(env, "CLAWOPS_ADMIN_TOKEN"),
    variable: "CLAWOPS_ADMIN_TOKEN",
    realm: "clawops operator API",
    off: WORKER_ADMIN_OFF,
  });
}
