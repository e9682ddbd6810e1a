import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { ConsoleChat } from "../adapters/console/feed.ts";
import type { AlertRoutesConfig } from "../adapters/http/alert-routes.ts";
import { createApp } from "../adapters/http/app.ts";
import { type ConsoleAuth, LoginCodes } from "../adapters/http/console-guard.ts";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { chatWithCommandName } from "../core/chat/command-name.ts";
import type { WatchSettings } from "../core/hosts/watch-state.ts";
import { failInterruptedJobs } from "../core/incidents/interrupted-jobs.ts";
import { InProcessJobs } from "../core/jobs/in-process.ts";
import type { Clock, Ids, Logger } from "../core/ports/basics.ts";
import type { ChatPort } from "../core/ports/chat.ts";
import type { IncidentRouting } from "../core/ports/deps.ts";
import { type CoreDeps, capabilityOn } from "../core/ports/deps.ts";
import { measuredTransport } from "../core/ports/metrics.ts";
import type { HostTransport } from "../core/ports/transport.ts";
import { HOST_JOB_KINDS } from "../core/router/host-jobs.ts";
import { WatchService } from "../core/watch/service.ts";
import { AgentHub } from "./agent-hub.ts";
import { agentFilesSource, parsePublicUrl } from "./agent-install.ts";
import { bundleServicesFromEnv, scheduleBlobCleanup } from "./bundles.ts";
import { CONSOLE_PAGE_HTML } from "./console/page.ts";
import { loadOrCreateConsoleSecret } from "./console/secret.ts";
import { createLogger } from "./logger.ts";
import { PromMetrics } from "./metrics.ts";
import { createRecoveryDeps, loadFreezePolicy, type RecoveryConfig, startFreezeSweeper } from "./recovery-wiring.ts";
import { RequestLull } from "./request-lull.ts";
import { SqliteStore } from "./sqlite-store.ts";

export interface ControlPlaneConfig {
  port: number;
  bind: string;
  dataDir: string;
  /** Without a signing secret (Socket Mode only) the HTTP slash-command endpoint is not served. */
  slack?: { signingSecret?: string; botToken: string; apiUrl?: string };
  /** Serve the local console (always on when Slack is not configured). */
  console: boolean;
  logger?: Logger;
  heartbeatMs?: number;
  /** Wraps the agent hub, e.g. to send some hosts' jobs through AWS SSM (src/node/ssm-wiring.ts). */
  transport?: (hub: HostTransport) => HostTransport;
  /** Where bundle settings are read (CLAWOPS_LINK_SECRET, JIRA_*, GITHUB_*); default process.env. */
  bundleEnv?: Readonly<Record<string, string | undefined>>;
  /** Freezes, authorization, announcements and audit (recovery runbook). */
  recovery?: RecoveryConfig;
  /** The slash command's name (CLAWOPS_COMMAND), when not `/openclaw`. */
  commandName?: string;
  /** Where automatic incidents go; without Slack they default to the local console. */
  incidents?: IncidentRouting;
  /** Alert webhooks: CLAWOPS_ALERT_TOKEN, PAGERDUTY_WEBHOOK_SECRET, CLAWOPS_ALERT_HOST_LABELS. */
  alerts?: AlertRoutesConfig;
  /** Open connections at most, agent sockets included (default 20,000). */
  maxConnections?: number;
  /**
   * The watch (docs/watch.md): the interval agents probe at (CLAWOPS_WATCH_INTERVAL_S; 0 turns
   * it off), the digest period, the flap window; how often silent agents and ended flap
   * windows are looked for (default 5 s).
   */
  watch?: Partial<WatchSettings> & { sweepMs?: number };
  /** Bearer token of `GET /metrics` (CLAWOPS_METRICS_TOKEN); unset: /metrics answers 503 saying so. */
  metricsToken?: string;
}

export interface ControlPlane {
  url: string;
  port: number;
  store: SqliteStore;
  hub: AgentHub;
  deps: CoreDeps;
  watch: WatchService;
  /** The Prometheus registry behind /metrics (also deps.metrics). */
  metrics: PromMetrics;
  consoleChat: ConsoleChat | null;
  /** A one-time URL that logs a browser into the console (null without a console). */
  consoleLoginUrl(): string | null;
  /** What a program sends to use the console API: the secret as a bearer token. */
  consoleHeaders(): Record<string, string>;
  close(): Promise<void>;
}

export const CONSOLE_CHANNEL = "console";
const DEFAULT_MAX_CONNECTIONS = 20_000;
/**
 * The longest a queued job waits for a lull in HTTP requests before it starts anyway: short
 * beside a triage's seconds, long enough for a burst of commands to be acked first.
 */
export const JOB_START_DEFER_MS = 1_000;

// Kept whole (issue 13): the control plane's wiring, read top to bottom in start-up order; split, the order would hide.
export async function startControlPlane(config: ControlPlaneConfig): Promise<ControlPlane> {
  const logger = config.logger ?? createLogger("clawops");
  const clock: Clock = { now: () => Date.now() };
  const ids: Ids = { id: (prefix) => `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 20)}` };
  const store = new SqliteStore(join(config.dataDir, "clawops.sqlite"));
  const lull = new RequestLull();
  // The watch needs the deps (chat, jobs) made below; the hub hands it frames only once agents connect.
  let watch: WatchService | null = null;
  const watchSettings = config.watch ?? {};
  const hub = new AgentHub({
    store,
    clock,
    logger,
    heartbeatMs: config.heartbeatMs,
    watch: {
      intervalMs: watchSettings.intervalMs ?? 30_000,
      digestMs: watchSettings.digestMs ?? 600_000,
      onFrame: (host, frame) => watch?.receive(host, frame),
      onGone: (host, reason) => watch?.gone(host, reason),
    },
  });
  const metrics = new PromMetrics({ agents_connected: () => hub.onlineHosts().length });
  const consoleChat = config.console || !config.slack ? new ConsoleChat(store, clock) : null;
  // Every step result that comes back is timed (step_duration_seconds), whichever transport ran it.
  const transport = measuredTransport(config.transport ? config.transport(hub) : hub, metrics);
  // Hosts install the agent from, and bundle links point at, CLAWOPS_PUBLIC_URL, else where this listens.
  const configuredPublicUrl = parsePublicUrl((config.bundleEnv ?? process.env).CLAWOPS_PUBLIC_URL);
  let publicUrl = "";
  const bundles = await bundleServicesFromEnv(config.bundleEnv ?? process.env, config.dataDir);
  const stopCleanup = scheduleBlobCleanup(bundles.blobs, logger, clock.now);
  const recovery = await createRecoveryDeps(store.db, config.dataDir, config.recovery ?? {}, config.slack);
  // Which held watch transitions freeze a host by themselves (CLAWOPS_FREEZE_POLICY).
  const freezePolicy = loadFreezePolicy(config.recovery?.freezePolicyFile);
  const { commandName } = config;
  const incidents: IncidentRouting | undefined =
    !config.slack && !config.incidents?.defaultChannel
      ? { rules: config.incidents?.rules ?? [], defaultChannel: CONSOLE_CHANNEL }
      : config.incidents;
  const baseDeps = {
    store,
    transport,
    clock,
    ids,
    logger,
    metrics,
    // A job starts once the requests being answered are answered (a lull, at most JOB_START_DEFER_MS),
    // then a loop turn later, after the last ack was handed to its socket.
    jobs: new InProcessJobs(HOST_JOB_KINDS, {
      beforeStart: async () => {
        await lull.wait(JOB_START_DEFER_MS);
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    }),
    bundles: capabilityOn(bundles),
    recovery,
    publicUrl: () => publicUrl,
    ...(commandName ? { commandName } : {}),
    ...(incidents ? { incidents } : {}),
    watch: { intervalMs: watchSettings.intervalMs ?? 30_000, digestMs: watchSettings.digestMs ?? 600_000 },
  };
  const slackChat: ChatPort | null = config.slack
    ? new SlackWebApiChat({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, logger, metrics })
    : null;
  const chat = slackChat ?? consoleChat;
  if (!chat) throw new Error("no chat configured");
  const deps: CoreDeps = { ...baseDeps, chat: chatWithCommandName(chat, commandName) };
  const watchService = new WatchService(deps, { settings: watchSettings, freezePolicy });
  watch = watchService;
  const watchSweep = setInterval(() => void watchService.sweep(), watchSettings.sweepMs ?? 5_000);
  watchSweep.unref();
  const inFlight = new Set<Promise<void>>();
  // Filled in once the port is known: the loopback names the console answers to.
  let consoleHosts: string[] = [];
  // Set once the server listens: /readyz asks it.
  let listening = () => false;
  const consoleAuth: ConsoleAuth | null = consoleChat
    ? {
        secret: loadOrCreateConsoleSecret(config.dataDir, (m) => logger.warn(m)),
        allowedHosts: () => consoleHosts,
        logins: new LoginCodes(clock),
      }
    : null;
  const app = createApp({
    deps,
    slack: config.slack?.signingSecret ? { signingSecret: config.slack.signingSecret } : undefined,
    ...(config.alerts ? { alerts: config.alerts } : {}),
    console: consoleChat
      ? {
          chat: consoleChat,
          channel: CONSOLE_CHANNEL,
          deps: { ...baseDeps, chat: chatWithCommandName(consoleChat, commandName) },
          page: CONSOLE_PAGE_HTML,
          auth: consoleAuth as ConsoleAuth,
        }
      : undefined,
    agentFiles: capabilityOn(agentFilesSource({ publicUrl: () => publicUrl, logger })),
    ops: {
      ready: [
        { name: "store", what: "the store answers a query", check: () => store.listJobs({ limit: 1 }).then(() => {}) },
        {
          name: "hub",
          what: "the agent hub accepts connections",
          check: () => {
            if (!listening() || !hub.accepting) throw new Error("the agent hub is not accepting connections");
          },
        },
      ],
      metrics: capabilityOn({ token: config.metricsToken, render: () => metrics.render() }),
    },
    runLater: (task) => {
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
  });

  const stopSweeper = startFreezeSweeper({ ...deps, recovery }, config.recovery?.freezeSweepMs ?? 5_000, logger);
  const lost = await failInterruptedJobs(deps);
  if (lost > 0) logger.warn("jobs interrupted by the last shutdown marked lost", { count: lost });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: (req, env) =>
          RequestLull.counts(req.method) ? lull.around(async () => app.fetch(req, env)) : app.fetch(req, env),
        port: config.port,
        hostname: config.bind,
        // A client gets 10 s for its headers and 30 s for a whole request (every body here is
        // capped at 1 MB), so slow-loris connections cannot pile up.
        serverOptions: { headersTimeout: 10_000, requestTimeout: 30_000 },
      },
      () => resolve(s as Server),
    );
    (s as Server).once("error", reject);
  });
  // Agents hold one socket each, so the cap is sized for a fleet; past it the kernel queues.
  server.maxConnections = config.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  listening = () => server.listening;
  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.bind.includes(":") ? `[${config.bind}]` : config.bind;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  consoleHosts = [...new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])];
  // Signed links and the install command point at the public URL when one is set, else where this process listens.
  publicUrl = configuredPublicUrl ?? url;
  bundles.publicUrl ||= publicUrl;
  logger.info("control plane listening", {
    url,
    slack: !!config.slack,
    console: !!consoleChat,
    dataDir: config.dataDir,
  });

  return {
    url,
    port,
    store,
    hub,
    deps,
    watch: watchService,
    metrics,
    consoleChat,
    consoleLoginUrl: () => (consoleAuth ? `${url}/console/login?code=${consoleAuth.logins.issue()}` : null),
    consoleHeaders: (): Record<string, string> =>
      consoleAuth ? { authorization: `Bearer ${consoleAuth.secret}` } : {},
    async close() {
      stopCleanup();
      await stopSweeper();
      clearInterval(watchSweep);
      await hub.close();
      await Promise.race([watchService.idle(), new Promise((r) => setTimeout(r, 2_000))]);
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
      store.close();
    },
  };
}
