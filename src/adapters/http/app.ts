import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DEFAULT_HOST_LABELS } from "../../core/alerts/host-map.ts";
import { isClawopsError } from "../../core/errors.ts";
import { type CoreDeps, capabilityOff } from "../../core/ports/deps.ts";
import { adminRoutes } from "./admin-routes.ts";
import { type AgentFilesSource, agentRoutes } from "./agent-routes.ts";
import { type AlertRoutesConfig, alertRoutes } from "./alert-routes.ts";
import { bundleRoutes } from "./bundle-routes.ts";
import { type ConsoleOptions, consoleRoutes } from "./console-routes.ts";
import { type DiscordRouteOptions, discordRoutes } from "./discord-routes.ts";
import { enrollRoutes } from "./enroll-routes.ts";
import { laterAfterAck, type RunLater } from "./later.ts";
import { type MattermostRouteOptions, mattermostRoutes } from "./mattermost-routes.ts";
import { type OpsOptions, opsRoutes } from "./ops-routes.ts";
import { slackRoutes } from "./slack-routes.ts";
import type { ClientAddress } from "./source-limits.ts";
import { type TeamsRouteOptions, teamsRoutes } from "./teams-routes.ts";
import { type TicketRoutesConfig, ticketRoutes } from "./ticket-routes.ts";

export interface AppOptions {
  deps: CoreDeps;
  /** Slack slash commands are served only when a signing secret is configured. */
  slack?: { signingSecret: string };
  /** Discord's interactions endpoint (`POST /discord/interactions`), served when DISCORD_* are set. */
  discord?: DiscordRouteOptions;
  /** Mattermost's slash command and button actions (`/mattermost/*`), served when MATTERMOST_* are set. */
  mattermost?: MattermostRouteOptions;
  /** Teams' messaging endpoint (`POST /teams/messages`), served when MICROSOFT_APP_* are set. */
  teams?: TeamsRouteOptions;
  /** The local console (page + JSON API). Only for loopback-bound, single-operator installs. */
  console?: ConsoleOptions;
  /** Alert webhooks (`/alerts/*`); each route answers 503 naming its secret while that is unset. */
  alerts?: AlertRoutesConfig;
  /** The trackers' webhooks (`/tickets/jira/webhook`); answers 503 naming its secret while that is unset. */
  tickets?: TicketRoutesConfig;
  /** Runs `later` work after the response: `executionCtx.waitUntil` on Workers, a detached promise on Node. */
  runLater: RunLater;
  /** The agent and its install script for hosts (`GET /agent/*`); absent or off: 501 with why. */
  agentFiles?: AgentFilesSource;
  /**
   * /livez, /readyz (= /healthz) and /metrics (ops-routes.ts). Default: no readiness checks
   * and no metrics (501).
   */
  ops?: OpsOptions;
  /**
   * Where an anonymous request comes from (Node: the peer, or what a trusted proxy forwarded;
   * Workers: CF-Connecting-IP), for the per-source limits of enrollment and agent downloads.
   * Absent: every request is one source.
   */
  clientAddress?: ClientAddress;
  /** A runtime's own route groups (the Worker's host status API and agent entry), mounted first. */
  routes?: ReadonlyArray<{ path: string; app: Hono }>;
  /** The operator API (`/api/admin/*`, admin-routes.ts): CLAWOPS_ADMIN_TOKEN, and what to say while it is unset. */
  admin?: { token: string | undefined; off: string };
}

/**
 * The hono app every runtime serves: web-standard Request/Response only. Each route group
 * lives in its own module and proves who is calling before it reads a body; every error
 * becomes one JSON shape here, `{ok: false, error: {code, message}}`, with the code from
 * ErrorCode.
 */
export function createApp(opts: AppOptions) {
  const { deps } = opts;
  const app = new Hono();

  app.onError((err, c) => {
    if (isClawopsError(err))
      return c.json({ ok: false, error: { code: err.code, message: err.message } }, err.status as 400);
    if (err instanceof HTTPException) return err.getResponse();
    if (clientWentAway(c.req.raw, err)) {
      // Nobody is left to answer: the client closed the connection mid-request.
      deps.logger.info("client closed the request", { path: c.req.path });
      return c.body(null, 499 as 400);
    }
    deps.logger.error("unhandled request error", { path: c.req.path, err: err.message });
    return c.json(
      { ok: false, error: { code: "internal", message: "internal error; see the control-plane log" } },
      500,
    );
  });

  app.route("/", opsRoutes(opts.ops ?? NO_OPS, deps.logger));
  for (const group of opts.routes ?? []) app.route(group.path, group.app);

  const later = laterAfterAck(opts.runLater, deps.logger);
  if (opts.slack) app.route("/slack", slackRoutes(deps, opts.slack.signingSecret, later));
  if (opts.discord) app.route("/discord", discordRoutes(deps, opts.discord, later));
  if (opts.mattermost) app.route("/mattermost", mattermostRoutes(deps, opts.mattermost, later));
  if (opts.teams) app.route("/teams", teamsRoutes(deps, opts.teams, later));
  app.route("/alerts", alertRoutes(deps, opts.alerts ?? { policy: { hostLabels: DEFAULT_HOST_LABELS } }, later));
  app.route("/tickets", ticketRoutes(deps, opts.tickets ?? {}));
  app.route("/api", enrollRoutes(deps, opts.clientAddress));
  if (opts.admin) app.route("/api", adminRoutes(deps, opts.admin));
  app.route(
    "/agent",
    agentRoutes(opts.agentFiles, () => deps.clock.now(), opts.clientAddress),
  );
  app.route("/bundles", bundleRoutes(deps));
  if (opts.console) {
    app.get("/", (c) => c.redirect("/console"));
    app.route("/", consoleRoutes(deps, opts.console, later));
  }
  return app;
}

const NO_OPS: OpsOptions = {
  ready: [],
  metrics: capabilityOff("This control plane exports no metrics."),
};

/**
 * A request the client aborted (its body cut off, its connection closed) is not a server error.
 * Known by the request's own abort signal, or by what reading its body threw: an AbortError, or
 * Node's `aborted` error on the incoming stream (code ECONNRESET, or ERR_STREAM_PREMATURE_CLOSE).
 * Never by the words of a message, which any server fault may contain.
 */
function clientWentAway(req: Request, err: Error): boolean {
  if (req.signal.aborted || err.name === "AbortError") return true;
  const code = (err as Error & { code?: unknown }).code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE";
}
