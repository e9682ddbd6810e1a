import { DiscordChat } from "../adapters/discord/chat.ts";
import { withDiscord } from "../adapters/discord/routed.ts";
import { MattermostChat } from "../adapters/mattermost/chat.ts";
import { withMattermost } from "../adapters/mattermost/routed.ts";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { TeamsChat } from "../adapters/teams/chat.ts";
import { withTeams } from "../adapters/teams/routed.ts";
import { type AppTokenCache, AppTokenSource } from "../adapters/teams/token.ts";
import { BotFrameworkVerifier, type TeamsKeyCache } from "../adapters/teams/verify.ts";
import { ClawopsError } from "../core/errors.ts";
import { InProcessJobs } from "../core/jobs/in-process.ts";
import { InProcessTurns } from "../core/jobs/turns.ts";
import type { Clock, Ids, Logger } from "../core/ports/basics.ts";
import type { ChatPort } from "../core/ports/chat.ts";
import { type CoreDeps, capabilityOff, capabilityOn, type HostJob, type JobScheduler } from "../core/ports/deps.ts";
import type { RecoveryStore } from "../core/ports/recovery.ts";
import type { Store } from "../core/ports/store.ts";
import type { HostTransport } from "../core/ports/transport.ts";
import { HOST_JOB_KINDS } from "../core/router/host-jobs.ts";
import { ticketWriteBack } from "../core/tickets/write-back.ts";
import { workerAgentFiles } from "./agent-files.ts";
import { workerBundleServices } from "./bundles.ts";
import { DirectoryStore, FleetWatchStore } from "./directory-store.ts";
import { DurableObjectHostTransport } from "./do-transport.ts";
import { type WorkerConfig, type WorkerEnv, workerVar } from "./env.ts";
import { fanoutGroup, ShardedFanout } from "./fanout-shard.ts";
import { workflowRuns } from "./recover-runs.ts";
import { type ApprovalKeyResult, workerRecovery } from "./recovery.ts";
import type { QueuedRun } from "./rpc.ts";

/**
 * The Workers runtime's one wiring: every entry point (the Worker's fetch, a host object's
 * queued job, the directory's freeze-expiry alarm, a recover Workflow run) builds its
 * dependencies here from the same bindings. Each is built per call: Durable Object stubs and
 * promise chains must not span requests (Workers forbids I/O objects crossing them).
 */
export const workerClock: Clock = { now: () => Date.now() };
export const workerIds: Ids = { id: (prefix) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` };

/** Who an entry point is, and what it brings of its own (a host object: its transport and queue). */
interface Parts {
  env: WorkerEnv;
  config: WorkerConfig;
  logger: Logger;
  /** Default: each host's object by RPC. */
  transport?: HostTransport;
  /** Default: the directory object by RPC. */
  store?: Store;
  /** Default: in this isolate. Jobs that must not overlap are serialised in the host's object, not here. */
  jobs?: JobScheduler;
  /** Where this Worker is reached (a request's origin, a queued run's), for Mattermost's button URL; else CLAWOPS_PUBLIC_URL. */
  origin?: string;
  /** The request's Teams chat, which learned the conversation's Bot Connector from the verified activity. */
  teams?: TeamsChat | null;
}

function baseDeps(p: Parts): CoreDeps {
  return {
    store:
      p.store ??
      (p.env.WATCH_SHARDS
        ? new FleetWatchStore(p.env.DIRECTORY, p.env.WATCH_SHARDS)
        : new DirectoryStore(p.env.DIRECTORY)),
    transport: p.transport ?? new DurableObjectHostTransport(p.env.HOSTS),
    chat: workerChat(p),
    clock: workerClock,
    ids: workerIds,
    logger: p.logger,
    jobs: p.jobs ?? new InProcessJobs(HOST_JOB_KINDS),
    // Only the entry points that collect bundles turn them on (requests, bundle jobs, recover runs).
    bundles: capabilityOff("bundles are collected by the host's bundle jobs, not here"),
    incidents: p.config.incidents,
    grouping: p.config.grouping,
    // Incident channels (issue 41, item 2): the same SlackWebApiChat makes them.
    ...(p.config.incidentChannels ? { incidentChannels: p.config.incidentChannels } : {}),
    // PagerDuty write-back (issue 29, item 7): a triage's note from the host's object, a resolve from a request.
    ...(p.config.pagerduty ? { pagerduty: p.config.pagerduty } : {}),
    // Paging (issue 40): pages queued after the record, delivered by the directory object's alarm.
    ...(p.config.paging ? { paging: p.config.paging } : {}),
    ...(p.config.digest ? { digest: p.config.digest } : {}),
    // Tickets both ways (issue 41, item 4): a resolve queued for its tickets, delivered by the directory's alarm.
    ticketWriteBack: ticketWriteBack({ tickets: p.config.tickets }),
    ...(p.config.expiries ? { expiries: p.config.expiries } : {}),
    // Freezes, authorization and the audit log live in the directory object, reached by RPC: the
    // watch's freeze policy and its incidents' audit rows work from any entry point.
    recovery: workerRecovery(p.env, p.config),
    ...(workerWatch(p.env) ? { watch: workerWatch(p.env) } : {}),
    // `status … --live`: through the fan-out objects, a group of hosts each (fanout-shard.ts).
    ...(p.env.FANOUT_SHARDS
      ? { fleetFanout: new ShardedFanout(p.env.FANOUT_SHARDS, { group: fanoutGroup(p.env), logger: p.logger }) }
      : {}),
  };
}

/** Slack, and Discord beside it when DISCORD_* are set: a `discord:` channel's messages go there. */
function workerChat(p: Parts): ChatPort {
  const slack = new SlackWebApiChat({
    token: p.config.SLACK_BOT_TOKEN,
    apiUrl: p.config.SLACK_API_URL,
    logger: p.logger,
  });
  const discord = workerDiscordChat(p.config, p.logger);
  const withD = discord ? withDiscord(slack, discord) : slack;
  // A `mattermost:` channel's messages go to Mattermost (adapters/mattermost/routed.ts).
  const mattermost = workerMattermostChat(p.config, p.logger, workerPublicUrl(p.env, p.origin ?? ""));
  const withM = mattermost ? withMattermost(withD, mattermost) : withD;
  // A `teams:` conversation's messages go to Teams (adapters/teams/routed.ts).
  const teams = p.teams ?? workerTeamsChat(p.config, p.logger);
  return teams ? withTeams(withM, teams) : withM;
}

/**
 * What Teams keeps across requests in this isolate: plain data only (the bot's token, the
 * signing keys and where they are), never a promise or a response, which may not cross requests.
 */
const teamsTokenCache: AppTokenCache = {};
const teamsKeyCache: TeamsKeyCache = { jwks: {} };

/** The Teams chat of this Worker's settings; null while Teams is off. */
export function workerTeamsChat(config: WorkerConfig, logger: Logger): TeamsChat | null {
  const t = config.teams;
  if (!t) return null;
  const tokens = new AppTokenSource({
    appId: t.appId,
    appPassword: t.appPassword,
    certificate: t.certificate,
    tenantId: t.tenantId,
    loginUrl: t.loginUrl,
    cache: teamsTokenCache,
  });
  return new TeamsChat({ tokens, serviceUrl: t.serviceUrl, logger });
}

/** The Bot Framework token check of this Worker's settings (keys kept in the isolate as data). */
export function workerTeamsVerifier(config: WorkerConfig): BotFrameworkVerifier | null {
  const t = config.teams;
  if (!t) return null;
  return new BotFrameworkVerifier({ appId: t.appId, metadataUrl: t.openIdMetadataUrl, cache: teamsKeyCache });
}

/**
 * The Mattermost chat of this Worker's settings; null while Mattermost is off. Presses come back
 * to `{public url}/mattermost/actions`; with no URL known (a timer, CLAWOPS_PUBLIC_URL unset) its
 * posts carry no buttons.
 */
export function workerMattermostChat(config: WorkerConfig, logger: Logger, publicUrl: string): MattermostChat | null {
  const m = config.mattermost;
  if (!m) return null;
  return new MattermostChat({
    url: m.url,
    token: m.botToken,
    actionsUrl: () => (publicUrl ? `${publicUrl.replace(/\/+$/, "")}/mattermost/actions` : ""),
    logger,
  });
}

/** The Discord chat of this Worker's settings; null while Discord is off. */
export function workerDiscordChat(config: WorkerConfig, logger: Logger): DiscordChat | null {
  const d = config.discord;
  if (!d) return null;
  return new DiscordChat({
    token: d.botToken,
    applicationId: d.applicationId,
    ...(d.apiUrl ? { apiUrl: d.apiUrl } : {}),
    logger,
  });
}

/**
 * The watch's interval and digest period on Workers (docs/watch.md): on when the shard objects
 * are bound and the interval is not 0; `/openclaw status` then reads the shards.
 */
export function workerWatch(env: WorkerEnv): { intervalMs: number; digestMs: number } | undefined {
  if (!env.WATCH_SHARDS) return undefined;
  const intervalMs = workerVar(env, "CLAWOPS_WATCH_INTERVAL_S") ?? 30_000;
  return intervalMs > 0 ? { intervalMs, digestMs: workerVar(env, "CLAWOPS_WATCH_DIGEST_S") ?? 600_000 } : undefined;
}

/**
 * A Worker request (the hono app): every command. Triage and bundle jobs are handed to the
 * host's object (`startJob`), recover runs to Workflow instances; `origin` is where the
 * command came in, the default of bundle links.
 */
export function requestDeps(parts: Parts, origin: string, approval: ApprovalKeyResult): CoreDeps {
  const p = { ...parts, origin };
  const { env } = p;
  const bundles = workerBundleServices(env, origin);
  const publicUrl = workerPublicUrl(env, origin);
  return {
    ...baseDeps(p),
    publicUrl: () => publicUrl,
    // The agent built with this Worker (agent-files.ts): what `enroll` checks and `upgrade-agent` moves hosts to.
    agentRelease: async () => {
      const files = workerAgentFiles(env, publicUrl);
      if (!files.on) throw new ClawopsError("not_configured", files.why, { status: 501 });
      const { version, sha256 } = await files.use();
      return { version, sha256 };
    },
    recovery: workerRecovery(env, p.config, {
      runs: workflowRuns(env, origin),
      ...(approval.ok ? { approvalKey: approval.key } : { approvalKeyMissing: approval.missing }),
    }),
    bundles: bundles.ok ? capabilityOn(bundles.services) : capabilityOff(bundles.missing),
    // Triage and bundle jobs run in the host's object (queued there, run by its alarm), not in
    // this request's `waitUntil`: they outlive the request and a reset of that object.
    jobs: new HostObjectJobs(env, origin),
  };
}

/** Where hosts install from and dial: CLAWOPS_PUBLIC_URL, else where the request came in. */
export function workerPublicUrl(env: WorkerEnv, origin: string): string {
  return workerVar(env, "CLAWOPS_PUBLIC_URL") || origin;
}

/** A triage or bundle job queued in a host's object, run there on its own agent connection. */
export function hostJobDeps(p: Parts & { transport: HostTransport; jobs: JobScheduler }, run: QueuedRun) {
  const deps = baseDeps({ ...p, ...("publicUrl" in run && run.publicUrl ? { origin: run.publicUrl } : {}) });
  if (run.kind !== "bundle") return deps;
  const bundles = workerBundleServices(p.env, run.publicUrl);
  // Without them `runBundle` says so in the thread and ends the job.
  return { ...deps, bundles: bundles.ok ? capabilityOn(bundles.services) : capabilityOff(bundles.missing) };
}

/** The directory object's alarm: expired freezes leave, each with its notice; its own SQLite, no RPC to itself. */
export function freezeSweepDeps(p: Parts & { store: Store }, recoveryStore: RecoveryStore): CoreDeps {
  return {
    // A triage whose announcement the outbox delivers late starts in its host's object, not here.
    ...baseDeps({ ...p, jobs: p.jobs ?? new HostObjectJobs(p.env, workerVar(p.env, "CLAWOPS_PUBLIC_URL") ?? "") }),
    recovery: workerRecovery(p.env, p.config, { store: recoveryStore }),
  };
}

/** A recover run in its Workflow instance; its agent jobs wait in the host's object behind the others. */
export function recoverRunDeps(p: Parts, publicUrl: string): CoreDeps {
  const bundles = workerBundleServices(p.env, publicUrl);
  return {
    ...baseDeps({ ...p, origin: publicUrl, transport: new DurableObjectHostTransport(p.env.HOSTS, { inTurn: true }) }),
    recovery: workerRecovery(p.env, p.config),
    bundles: bundles.ok ? capabilityOn(bundles.services) : capabilityOff(bundles.missing),
  };
}

/**
 * The Worker request's scheduler: a triage or bundle job goes to its host's object, which
 * queues it in SQLite and runs it in turn; only that object knows how many are ahead.
 */
class HostObjectJobs implements JobScheduler {
  /** This request's turns (ports/turns.ts): a promise may not cross Worker requests, so none wider. */
  private readonly turns = new InProcessTurns();
  private readonly env: WorkerEnv;
  private readonly origin: string;

  constructor(env: WorkerEnv, origin: string) {
    this.env = env;
    this.origin = origin;
  }

  depth(): number {
    return 0;
  }

  async start(_deps: CoreDeps, job: HostJob): Promise<void> {
    const hosts = this.env.HOSTS;
    await hosts
      .get(hosts.idFromName(job.job.host))
      .enqueueJob(
        job.job.id,
        job.kind === "bundle"
          ? { kind: "bundle", tickets: job.tickets, publicUrl: this.origin, responseUrl: job.responseUrl }
          : { kind: "triage", publicUrl: this.origin, responseUrl: job.responseUrl },
      );
  }

  inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.turns.inTurn(key, task);
  }
}
