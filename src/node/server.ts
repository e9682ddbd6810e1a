import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { ConsoleChat } from "../adapters/console/feed.ts";
import { DiscordChat } from "../adapters/discord/chat.ts";
import { discordCommandName } from "../adapters/discord/command.ts";
import { withDiscord } from "../adapters/discord/routed.ts";
import type { DiscordSettings } from "../adapters/discord/settings.ts";
import type { AlertRoutesConfig } from "../adapters/http/alert-routes.ts";
import { createApp } from "../adapters/http/app.ts";
import { type ConsoleAuth, LoginCodes } from "../adapters/http/console-guard.ts";
import { ConsoleSessions } from "../adapters/http/console-sessions.ts";
import { NotReady } from "../adapters/http/ops-routes.ts";
import type { TicketRoutesConfig } from "../adapters/http/ticket-routes.ts";
import { MattermostChat } from "../adapters/mattermost/chat.ts";
import { withMattermost } from "../adapters/mattermost/routed.ts";
import type { MattermostSettings } from "../adapters/mattermost/settings.ts";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { TeamsChat } from "../adapters/teams/chat.ts";
import { withTeams } from "../adapters/teams/routed.ts";
import type { TeamsSettings } from "../adapters/teams/settings.ts";
import { AppTokenSource } from "../adapters/teams/token.ts";
import { BotFrameworkVerifier } from "../adapters/teams/verify.ts";
import { chatWithCommandName } from "../core/chat/command-name.ts";
import { isClawopsError } from "../core/errors.ts";
import type { FreezePolicy } from "../core/freezes/policy.ts";
import type { WatchSettings } from "../core/hosts/watch-state.ts";
import { scrubbedTransport } from "../core/hub/scrubbed-transport.ts";
import { failInterruptedJobs } from "../core/incidents/interrupted-jobs.ts";
import { InProcessJobs } from "../core/jobs/in-process.ts";
import type { KnownIssueCatalog } from "../core/known-issues/schema.ts";
import type { Clock, Ids, Logger } from "../core/ports/basics.ts";
import type { BundleServices } from "../core/ports/bundles.ts";
import type { ChatPort } from "../core/ports/chat.ts";
import type { IncidentChannelSettings, IncidentRouting } from "../core/ports/deps.ts";
import { type CoreDeps, capabilityOn } from "../core/ports/deps.ts";
import type { GroupingPolicy } from "../core/ports/incident-book.ts";
import { measuredTransport } from "../core/ports/metrics.ts";
import type { PagerDutyServices } from "../core/ports/pagerduty.ts";
import type { PagingServices } from "../core/ports/paging.ts";
import type { HostTransport } from "../core/ports/transport.ts";
import { HOST_JOB_KINDS } from "../core/router/host-jobs.ts";
import { ticketWriteBack } from "../core/tickets/write-back.ts";
import { WatchService } from "../core/watch/service.ts";
import { AgentHub } from "./agent-hub.ts";
import { agentFilesSource } from "./agent-install.ts";
import {
  DEFAULT_BUNDLE_SETTINGS,
  type NodeBundleSettings,
  nodeBundleServices,
  scheduleBlobCleanup,
} from "./bundles.ts";
import { nodeClientAddress } from "./client-address.ts";
import { CONSOLE_PAGE_HTML } from "./console/page.ts";
import { loadOrCreateConsoleSecret } from "./console/secret.ts";
import { checkDataDisk } from "./data-disk.ts";
import { drain, InFlightRequests } from "./drain.ts";
import { createLogger } from "./logger.ts";
import { PromMetrics } from "./metrics.ts";
import { createRecoveryDeps, loadFreezePolicy, type RecoveryConfig, startSweeper } from "./recovery-wiring.ts";
import { RequestLull } from "./request-lull.ts";
import { SqliteStore } from "./sqlite-store.ts";

export interface ControlPlaneConfig {
  port: number;
  bind: string;
  dataDir: string;
  /** Without a signing secret (Socket Mode only) the HTTP slash-command endpoint is not served. */
  slack?: { signingSecret?: string; botToken: string; apiUrl?: string };
  /** Discord's interactions endpoint and REST API (DISCORD_*, docs/discord.md); unset: off. */
  discord?: DiscordSettings;
  /** Mattermost's slash command, button actions and REST API (MATTERMOST_*, docs/mattermost.md); unset: off. */
  mattermost?: MattermostSettings;
  /** Microsoft Teams' messaging endpoint and Bot Connector (MICROSOFT_APP_*, docs/teams.md); unset: off. */
  teams?: TeamsSettings;
  /** Serve the local console (always on when Slack is not configured). */
  console: boolean;
  logger?: Logger;
  heartbeatMs?: number;
  /** Wraps the agent hub, e.g. to send some hosts' jobs through AWS SSM (src/node/ssm-wiring.ts). */
  transport?: (hub: HostTransport) => HostTransport;
  /** CLAWOPS_PUBLIC_URL: where hosts install the agent from and bundle links point; default: the listen URL. */
  publicUrl?: string;
  /** CLAWOPS_AGENT_FILE: the agent to serve instead of this checkout's (src/node/agent-install.ts). */
  agentFile?: string;
  /** Bundle link key, lifetimes and tickets (CLAWOPS_LINK_SECRET, CLAWOPS_BUNDLE_*, JIRA_*, GITHUB_*). */
  bundles?: NodeBundleSettings;
  /** Freezes, authorization, announcements and audit (recovery runbook). */
  recovery?: RecoveryConfig;
  /** The slash command's name (CLAWOPS_COMMAND), when not `/openclaw`. */
  commandName?: string;
  /** Where automatic incidents go; without Slack they default to the local console. */
  incidents?: IncidentRouting;
  /** Fleet grouping (CLAWOPS_FLEET_GROUPING); false: off; unset: the defaults. */
  grouping?: GroupingPolicy | false;
  /** Incident channels (CLAWOPS_INCIDENT_CHANNEL_*); unset: off. */
  incidentChannels?: IncidentChannelSettings;
  /** Alert webhooks: CLAWOPS_ALERT_TOKEN, PAGERDUTY_WEBHOOK_SECRET, CLAWOPS_ALERT_HOST_LABELS. */
  alerts?: AlertRoutesConfig;
  /** The trackers' webhooks: JIRA_WEBHOOK_SECRET (`POST /tickets/jira/webhook`, issue 41). */
  tickets?: TicketRoutesConfig;
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
  /** PagerDuty write-back (PAGERDUTY_API_TOKEN, PAGERDUTY_FROM, CLAWOPS_PAGERDUTY_RESOLVE); unset: off. */
  pagerduty?: PagerDutyServices;
  /** The team's pagers and the paging policy (docs/paging.md); unset: nobody is paged. */
  paging?: PagingServices;
  /** The weekly incident digest (CLAWOPS_DIGEST_CHANNEL); unset: none. */
  digest?: CoreDeps["digest"];
  /** The expiry radar's weekly post and pages (CLAWOPS_EXPIRIES_*); unset: neither. */
  expiries?: CoreDeps["expiries"];
  /** Bearer token of the operator API, `POST /api/admin/enrollment-codes` (CLAWOPS_ADMIN_TOKEN); unset: 503 saying so. */
  adminToken?: string;
  /** CLAWOPS_TRUST_PROXY: per-source limits read X-Forwarded-For from a loopback peer. */
  trustProxy?: boolean;
  /** The known-issue catalog with the operator's file merged in (CLAWOPS_KNOWN_ISSUES_FILE); unset: the shipped one. */
  knownIssues?: KnownIssueCatalog;
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

/**
 * The control plane's start, step by step in start-up order. Each step is a function below,
 * given what the steps before it made; what is only known later (the listen address, the watch
 * service the hub hands frames to) is filled into `late` by the step that learns it.
 */
export async function startControlPlane(config: ControlPlaneConfig): Promise<ControlPlane> {
  const late = lateValues();
  const base = openStore(config);
  const hub = startAgentHub(config, base, late);
  const services = await makeServices(config, base, hub, late);
  const deps = makeDeps(config, base, services, late);
  const watch = startWatch(deps, config.watch, services.freezePolicy);
  late.watch = watch.service;
  const console = consoleAccess(config, base, services.consoleChat, late);
  const app = buildApp(config, base, hub, services, deps, console, late);
  const periodic = await startPeriodicWork(config, base, services, deps);
  const server = await listen(config, app.fetch, base.lull, hub);
  // What a drain waits for (src/node/drain.ts).
  const requests = new InFlightRequests(server);
  const address = publishAddress(config, server, services.bundles, late, base.logger, !!services.consoleChat);
  return handle({ ...address, base, hub, deps, watch, services, console, app, periodic, server, requests });
}

/** What later steps learn and earlier ones read through closures. */
function lateValues() {
  return {
    watch: null as WatchService | null,
    /** The URL hosts and bundle links use: CLAWOPS_PUBLIC_URL, else where this listens. */
    publicUrl: "",
    /** The loopback names the console answers to, once the port is known. */
    consoleHosts: [] as string[],
    /** Whether the server listens (/readyz asks). */
    listening: () => false,
  };
}
type Late = ReturnType<typeof lateValues>;

/** Step 1: the clock, ids, the logger, the SQLite store and the request lull. */
function openStore(config: ControlPlaneConfig) {
  const clock: Clock = { now: () => Date.now() };
  const ids: Ids = { id: (prefix) => `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 20)}` };
  return {
    logger: config.logger ?? createLogger("clawops"),
    clock,
    ids,
    store: new SqliteStore(join(config.dataDir, "clawops.sqlite")),
    lull: new RequestLull(),
  };
}
type Base = ReturnType<typeof openStore>;

/** Step 2: the agent hub; it hands watch frames to the watch once that exists (step 5). */
function startAgentHub(config: ControlPlaneConfig, base: Base, late: Late): AgentHub {
  return new AgentHub({
    store: base.store,
    clock: base.clock,
    logger: base.logger,
    heartbeatMs: config.heartbeatMs,
    watch: {
      ...watchCadence(config.watch),
      onFrame: (host, frame) => late.watch?.receive(host, frame),
      onGone: (host, reason) => late.watch?.gone(host, reason),
    },
  });
}

function watchCadence(watch: ControlPlaneConfig["watch"]) {
  return { intervalMs: watch?.intervalMs ?? 30_000, digestMs: watch?.digestMs ?? 600_000 };
}

/** Step 3: metrics, the measured transport, the chats, bundles, recovery and the freeze policy. */
async function makeServices(config: ControlPlaneConfig, base: Base, hub: AgentHub, late: Late) {
  const metrics = new PromMetrics({ agents_connected: () => hub.onlineHosts().length });
  const consoleChat =
    config.console || (!config.slack && !config.discord && !config.mattermost && !config.teams)
      ? new ConsoleChat(base.store, base.clock)
      : null;
  const slackChat: ChatPort | null = config.slack
    ? new SlackWebApiChat({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, logger: base.logger, metrics })
    : null;
  const discordChat = config.discord
    ? new DiscordChat({
        token: config.discord.botToken,
        applicationId: config.discord.applicationId,
        ...(config.discord.apiUrl ? { apiUrl: config.discord.apiUrl } : {}),
        logger: base.logger,
      })
    : null;
  const mattermostChat = config.mattermost
    ? new MattermostChat({
        url: config.mattermost.url,
        token: config.mattermost.botToken,
        // Mattermost posts presses to clawops: its public URL, else where this process listens (known after the listen).
        actionsUrl: () => (late.publicUrl ? `${late.publicUrl}/mattermost/actions` : ""),
        logger: base.logger,
      })
    : null;
  const teamsChat = config.teams ? nodeTeamsChat(config.teams, base.logger) : null;
  const bundles = await nodeBundleServices(
    { ...(config.bundles ?? DEFAULT_BUNDLE_SETTINGS), ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) },
    config.dataDir,
  );
  return {
    metrics,
    // Every step result that comes back is timed (step_duration_seconds), whichever transport ran it.
    // SSM results pass the second scan here; the hub's frames pass it in the hub (core/secret-scrub.ts).
    transport: measuredTransport(config.transport ? scrubbedTransport(config.transport(hub)) : hub, metrics),
    consoleChat,
    // A `discord:` channel's messages go to Discord, the rest where they went (adapters/discord/routed.ts).
    chat: withChats(slackChat ?? consoleChat, discordChat, mattermostChat, teamsChat),
    discordChat,
    mattermostChat,
    teamsChat,
    bundles,
    recovery: await createRecoveryDeps(base.store.db, config.dataDir, config.recovery ?? {}, config.slack),
    // Which held watch transitions freeze a host by themselves (CLAWOPS_FREEZE_POLICY).
    freezePolicy: config.recovery?.freezePolicy ?? loadFreezePolicy(config.recovery?.freezePolicyFile),
    agentFiles: agentFilesSource({
      publicUrl: () => late.publicUrl,
      logger: base.logger,
      ...(config.agentFile ? { agentFile: config.agentFile } : {}),
    }),
  };
}
/**
 * The chat port: a `discord:` channel's messages go to Discord, a `mattermost:` channel's to
 * Mattermost, the rest where they went (adapters/discord/routed.ts, adapters/mattermost/routed.ts).
 */
function withChats(
  other: ChatPort | null,
  discord: DiscordChat | null,
  mattermost: MattermostChat | null,
  teams: TeamsChat | null,
) {
  const withD = discord ? withDiscord(other, discord) : other;
  const withM = mattermost ? withMattermost(withD, mattermost) : withD;
  // A `teams:` conversation's messages go to Teams (adapters/teams/routed.ts).
  return teams ? withTeams(withM, teams) : withM;
}

/** Teams' chat: Bot Connector calls with the bot's client-credentials token (adapters/teams/token.ts). */
function nodeTeamsChat(t: TeamsSettings, logger: Logger): TeamsChat {
  const tokens = new AppTokenSource({
    appId: t.appId,
    appPassword: t.appPassword,
    certificate: t.certificate,
    tenantId: t.tenantId,
    loginUrl: t.loginUrl,
  });
  return new TeamsChat({ tokens, serviceUrl: t.serviceUrl, logger });
}

type Services = Awaited<ReturnType<typeof makeServices>>;

/**
 * Step 4: what core is given. Without Slack, automatic incidents go to the console. A job
 * starts once the requests being answered are answered (a lull, at most JOB_START_DEFER_MS),
 * then a loop turn later, after the last ack was handed to its socket.
 */
function makeDeps(config: ControlPlaneConfig, base: Base, services: Services, late: Late) {
  const { commandName } = config;
  const incidents: IncidentRouting | undefined =
    !config.slack && !config.discord && !config.mattermost && !config.teams && !config.incidents?.defaultChannel
      ? { rules: config.incidents?.rules ?? [], defaultChannel: CONSOLE_CHANNEL }
      : config.incidents;
  const withoutChat = {
    store: base.store,
    transport: services.transport,
    clock: base.clock,
    ids: base.ids,
    logger: base.logger,
    metrics: services.metrics,
    jobs: new InProcessJobs(HOST_JOB_KINDS, {
      beforeStart: async () => {
        await base.lull.wait(JOB_START_DEFER_MS);
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    }),
    bundles: capabilityOn<BundleServices>(services.bundles),
    recovery: services.recovery,
    publicUrl: () => late.publicUrl,
    ...(commandName ? { commandName } : {}),
    ...(incidents ? { incidents } : {}),
    ...(config.grouping !== undefined ? { grouping: config.grouping } : {}),
    ...(config.incidentChannels ? { incidentChannels: config.incidentChannels } : {}),
    watch: watchCadence(config.watch),
    ...(config.pagerduty ? { pagerduty: config.pagerduty } : {}),
    ...(config.paging ? { paging: config.paging } : {}),
    ...(config.digest ? { digest: config.digest } : {}),
    ...(config.expiries ? { expiries: config.expiries } : {}),
    ...(config.knownIssues ? { knownIssues: config.knownIssues } : {}),
    // Tickets both ways (issue 41, item 4): a resolve written back to its Jira and GitHub tickets.
    ticketWriteBack: ticketWriteBack(services.bundles),
    agentRelease: async () => {
      const { version, sha256 } = await services.agentFiles();
      return { version, sha256 };
    },
  };
  if (!services.chat) throw new Error("no chat configured");
  const deps: CoreDeps = { ...withoutChat, chat: chatWithCommandName(services.chat, commandName) };
  const consoleDeps: CoreDeps | null = services.consoleChat
    ? { ...withoutChat, chat: chatWithCommandName(services.consoleChat, commandName) }
    : null;
  return { deps, consoleDeps };
}
type Deps = ReturnType<typeof makeDeps>;

/**
 * Step 5: the watch service (each held transition raised as an incident, then handed to the
 * freeze policy) and its sweep for silent agents and ended flap windows.
 */
function startWatch({ deps }: Deps, settings: ControlPlaneConfig["watch"], freezePolicy: FreezePolicy) {
  const service = new WatchService(deps, { settings: settings ?? {}, freezePolicy });
  const sweep = setInterval(() => void service.sweep(), settings?.sweepMs ?? 5_000);
  sweep.unref();
  return { service, stop: () => clearInterval(sweep) };
}

/** Step 6: the console's secret, login codes and host names (null without a console). */
function consoleAccess(
  config: ControlPlaneConfig,
  base: Base,
  consoleChat: ConsoleChat | null,
  late: Late,
): ConsoleAuth | null {
  if (!consoleChat) return null;
  return {
    secret: loadOrCreateConsoleSecret(config.dataDir, (m) => base.logger.warn(m)),
    allowedHosts: () => late.consoleHosts,
    logins: new LoginCodes(base.clock),
    sessions: new ConsoleSessions(base.clock),
  };
}

/** Step 7: the hono app: Slack, alerts, the console, the agent's files, probes and metrics. */
function buildApp(
  config: ControlPlaneConfig,
  base: Base,
  hub: AgentHub,
  services: Services,
  { deps, consoleDeps }: Deps,
  consoleAuth: ConsoleAuth | null,
  late: Late,
) {
  const inFlight = new Set<Promise<void>>();
  const app = createApp({
    deps,
    slack: config.slack?.signingSecret ? { signingSecret: config.slack.signingSecret } : undefined,
    ...(config.discord && services.discordChat
      ? {
          discord: {
            publicKey: config.discord.publicKey,
            chat: services.discordChat,
            commandName: discordCommandName(config.commandName),
          },
        }
      : {}),
    ...(config.mattermost && services.mattermostChat
      ? {
          mattermost: {
            commandToken: config.mattermost.commandToken,
            chat: services.mattermostChat,
            commandName: config.commandName,
          },
        }
      : {}),
    ...(config.teams && services.teamsChat
      ? {
          teams: {
            verifier: new BotFrameworkVerifier({
              appId: config.teams.appId,
              metadataUrl: config.teams.openIdMetadataUrl,
            }),
            tenantId: config.teams.tenantId,
            chat: services.teamsChat,
            commandName: config.commandName,
          },
        }
      : {}),
    ...(config.alerts ? { alerts: config.alerts } : {}),
    ...(config.tickets ? { tickets: config.tickets } : {}),
    console:
      services.consoleChat && consoleDeps && consoleAuth
        ? {
            chat: services.consoleChat,
            channel: CONSOLE_CHANNEL,
            deps: consoleDeps,
            page: CONSOLE_PAGE_HTML,
            auth: consoleAuth,
          }
        : undefined,
    agentFiles: capabilityOn(services.agentFiles),
    admin: {
      token: config.adminToken,
      off: "The operator API is off: set CLAWOPS_ADMIN_TOKEN (a long random string, e.g. `openssl rand -hex 32`) in the control plane's environment and restart it.",
    },
    clientAddress: nodeClientAddress(config.trustProxy ?? false),
    ops: {
      ready: [
        {
          name: "store",
          what: "the store answers a query",
          // A read, then whether a write could start: another process holding the write lock
          // leaves reads working (WAL) while every command would fail (sqlite-busy.ts).
          check: async () => {
            await base.store.listJobs({ limit: 1 });
            try {
              base.store.probeWrites();
            } catch (err) {
              if (isClawopsError(err) && err.code === "database_busy")
                throw new NotReady(
                  "busy",
                  "another process holds the database's write lock: commands answer busy, try again",
                );
              throw err;
            }
          },
        },
        {
          name: "disk",
          what: "the data disk has room",
          check: () => checkDataDisk(config.dataDir),
        },
        {
          name: "hub",
          what: "the agent hub accepts connections",
          check: () => {
            if (!late.listening() || !hub.accepting) throw new Error("the agent hub is not accepting connections");
          },
        },
      ],
      metrics: capabilityOn({ token: config.metricsToken, render: () => services.metrics.render() }),
    },
    runLater: (task) => {
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
  });
  return { fetch: app.fetch, inFlight };
}

/** Step 8: the freeze sweeper, jobs the last shutdown interrupted marked lost, bundle cleanup. */
async function startPeriodicWork(config: ControlPlaneConfig, base: Base, services: Services, { deps }: Deps) {
  const stopSweeper = startSweeper(
    { ...deps, recovery: services.recovery },
    config.recovery?.freezeSweepMs ?? 5_000,
    base.logger,
  );
  const lost = await failInterruptedJobs(deps);
  if (lost > 0) base.logger.warn("jobs interrupted by the last shutdown marked lost", { count: lost });
  const stopCleanup = scheduleBlobCleanup(services.bundles.blobs, base.logger, base.clock.now);
  return {
    async stop() {
      stopCleanup();
      await stopSweeper();
    },
  };
}

/**
 * Step 9: listen. A client gets 10 s for its headers and 30 s for a whole request (every body
 * here is capped at 1 MB), so slow-loris connections cannot pile up. Agents hold one socket
 * each, so the connection cap is sized for a fleet; past it the kernel queues.
 */
async function listen(
  config: ControlPlaneConfig,
  fetch: (req: Request, env: unknown) => Response | Promise<Response>,
  lull: RequestLull,
  hub: AgentHub,
): Promise<Server> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: (req, env) =>
          RequestLull.counts(req.method) ? lull.around(async () => fetch(req, env)) : fetch(req, env),
        port: config.port,
        hostname: config.bind,
        serverOptions: { headersTimeout: 10_000, requestTimeout: 30_000 },
      },
      () => resolve(s as Server),
    );
    (s as Server).once("error", (err: NodeJS.ErrnoException) => reject(listenError(err, config)));
  });
  server.maxConnections = config.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  return server;
}

/**
 * A listen that failed, said with the variable to change (a bare "listen EADDRINUSE" named
 * neither the port's variable nor what to do: issue 33, item 4).
 */
function listenError(err: NodeJS.ErrnoException, config: ControlPlaneConfig): Error {
  const where = `${config.bind}:${config.port}`;
  const why: Record<string, string> = {
    EADDRINUSE: `Port ${config.port} on ${config.bind} is already in use (another clawops, \`wrangler dev\`, or another program: \`ss -ltnp 'sport = :${config.port}'\` shows which). Set CLAWOPS_PORT to a free port (0 picks one), or stop what listens there.`,
    EACCES: `This user may not listen on ${where} (ports below 1024 need privileges). Set CLAWOPS_PORT to a port above 1023, e.g. the default 8787.`,
    EADDRNOTAVAIL: `${config.bind} is not an address of this machine. Set CLAWOPS_BIND to one of its addresses (127.0.0.1, the default, or 0.0.0.0 for every address).`,
  };
  const message = err.code ? why[err.code] : undefined;
  return message ? Object.assign(new Error(message, { cause: err }), { code: err.code }) : err;
}

/** Step 10: the URL it listens at, the public URL, the console's host names; logged. */
function publishAddress(
  config: ControlPlaneConfig,
  server: Server,
  bundles: BundleServices,
  late: Late,
  logger: Logger,
  console: boolean,
) {
  late.listening = () => server.listening;
  const port = (server.address() as AddressInfo).port;
  const host = config.bind.includes(":") ? `[${config.bind}]` : config.bind;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  late.consoleHosts = [...new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])];
  // Signed links and the install command point at the public URL when one is set, else where this process listens.
  late.publicUrl = config.publicUrl ?? url;
  bundles.publicUrl ||= late.publicUrl;
  logger.info("control plane listening", { url, slack: !!config.slack, console, dataDir: config.dataDir });
  return { url, port };
}

/** The running control plane, and its stop in the reverse order of the start. */
function handle(p: {
  url: string;
  port: number;
  base: Base;
  hub: AgentHub;
  deps: Deps;
  watch: ReturnType<typeof startWatch>;
  services: Services;
  console: ConsoleAuth | null;
  app: ReturnType<typeof buildApp>;
  periodic: Awaited<ReturnType<typeof startPeriodicWork>>;
  server: Server;
  requests: InFlightRequests;
}): ControlPlane {
  const { url, console: consoleAuth } = p;
  return {
    url,
    port: p.port,
    store: p.base.store,
    hub: p.hub,
    deps: p.deps.deps,
    watch: p.watch.service,
    metrics: p.services.metrics,
    consoleChat: p.services.consoleChat,
    consoleLoginUrl: () => (consoleAuth ? `${url}/console/login?code=${consoleAuth.logins.issue()}` : null),
    consoleHeaders: (): Record<string, string> =>
      consoleAuth ? { authorization: `Bearer ${consoleAuth.secret}` } : {},
    async close() {
      await p.periodic.stop();
      p.watch.stop();
      // Stop accepting, finish what is in flight (bounded), agents closed with 1001 (src/node/drain.ts).
      await drain({
        server: p.server,
        requests: p.requests,
        later: () => [...p.app.inFlight, p.watch.service.idle()],
        closeAgents: () => p.hub.close(),
        logger: p.base.logger,
      });
      await Promise.race([Promise.allSettled([...p.app.inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
      p.base.store.close();
    },
  };
}
