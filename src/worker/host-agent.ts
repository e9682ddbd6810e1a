import { DurableObject } from "cloudflare:workers";
import { watchSettingsOf } from "../adapters/env/settings.ts";
import { AgentCloseCode } from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import { nextSweepAt } from "../core/hosts/watch-state.ts";
import { type HubConnection, HubSession } from "../core/hub/hub-session.ts";
import { InProcessJobs } from "../core/jobs/in-process.ts";
import { InProcessTurns } from "../core/jobs/turns.ts";
import type { JobOutcome, JobSpec } from "../core/ports/transport.ts";
import type { WatchRecord } from "../core/ports/watch-record.ts";
import { HOST_JOB_KINDS } from "../core/router/host-jobs.ts";
import { WatchService } from "../core/watch/service.ts";
import { DirectoryStore } from "./directory-store.ts";
import { parseWorkerConfig, type WorkerEnv, workerVar } from "./env.ts";
import { SqlEarlyResults } from "./host/early-results.ts";
import { AGENT_TAG, hibernatingSocket, savedState } from "./host/hibernating-socket.ts";
import { runQueuedJobs, WAIT_FOR_AGENT_MS } from "./host/queued-jobs.ts";
import { RecoverClaim } from "./host/recover-claim.ts";
import { HostStore, type JobQueueTable, migrateHostTables } from "./host/store.ts";
import { HostWatchStore } from "./host/watch-store.ts";
import { createConsoleLogger } from "./logger.ts";
import { runIsLive } from "./recover-runs.ts";
import { HOST_HEADER, type HostAgentRpc, type HostAgentStatus, type QueuedRun } from "./rpc.ts";
import { listWatchShards } from "./watch-shard.ts";
import { hostJobDeps, workerClock, workerWatch } from "./wiring.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;
const DEADLINE_GRACE_MS = 3_000;
/**
 * How often the agent sends a heartbeat frame. Each one wakes this object, so it is far
 * longer than the Node hub's 15 s ping: the object hibernates between heartbeats and jobs.
 */
const DEFAULT_HEARTBEAT_MS = 60_000;

/**
 * One Durable Object per enrolled host (named by the host): it terminates that host's agent
 * WebSocket with the hibernation API, so an idle agent costs no running object. The protocol
 * is the one `HubSession`; each socket's state rides in its attachment and handshake
 * deadlines are alarms, so no timer keeps an idle object awake, and a woken object rebuilds
 * the session from its sockets. Triage and bundle jobs are queued in its SQLite and run by
 * its alarm (the same `runTriage` and `runBundle` as Node, posting to Slack from here); a
 * closed socket fails the pending job at once, and a job interrupted by a reset of this
 * object runs again when it is back.
 */
export class HostAgent extends DurableObject<WorkerEnv> implements HostAgentRpc {
  private readonly store: DirectoryStore;
  private readonly logger = createConsoleLogger("clawops-host");
  private readonly instance = crypto.randomUUID();
  /** One job at a time on this host's agent: queued triage and bundle jobs and recover runs' jobs. */
  private readonly turns = new InProcessTurns();
  /** Its SQLite: every statement on it (host/store.ts). */
  private readonly tables: HostStore;
  private readonly jobs: JobQueueTable;
  private readonly early: SqlEarlyResults;
  private readonly claim: RecoverClaim;
  private readonly hub: HubSession;
  private readonly links = new WeakMap<WebSocket, HubConnection>();
  /** The watch (docs/watch.md): this host's state in this object's SQLite, copied to its shard. */
  private watchService: WatchService | null = null;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    migrateHostTables(ctx.storage, ctx.id.name ?? ctx.id.toString());
    this.store = new DirectoryStore(env.DIRECTORY);
    this.tables = new HostStore(ctx.storage.sql);
    this.jobs = this.tables.jobs;
    this.early = new SqlEarlyResults(this.tables.earlyResults);
    this.claim = new RecoverClaim(this.tables.recoverClaim, (runId) => runIsLive(env, runId), this.logger);
    this.hub = new HubSession({
      store: this.store,
      clock: workerClock,
      logger: this.logger,
      heartbeatMs: heartbeatMs(env),
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      deadlineGraceMs: DEADLINE_GRACE_MS,
      earlyResults: this.early,
      // Jobs waiting for this agent run now.
      onOnline: async () => {
        if (this.jobs.size > 0) await this.ctx.storage.setAlarm(Date.now());
      },
      ...this.watchOptions(env),
    });
    // Woken from hibernation (or new after an eviction): the sockets outlived the last instance.
    for (const ws of ctx.getWebSockets(AGENT_TAG)) this.link(ws);
    // A job queued or under way when the previous instance went away (eviction, restart,
    // deploy) runs again: the alarm picks it up once the agent is back.
    ctx.blockConcurrencyWhile(async () => {
      if (this.jobs.size > 0) await this.scheduleAlarm();
    });
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const host = request.headers.get(HOST_HEADER);
    if (!host) return new Response("missing host", { status: 400 });
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [AGENT_TAG]);
    this.links.set(server, this.hub.accept(hibernatingSocket(server), { host }));
    await this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = this.link(ws);
    if (!conn) return hibernatingSocket(ws).close(AgentCloseCode.policy, "connection has no state");
    await this.hub.receive(conn, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const conn = this.link(ws);
    if (conn) this.hub.closed(conn, code, reason);
    // The watch notes the agent gone (its state stale, copied to the shard) before this event ends.
    await this.watchSettled();
    // Completes the close handshake; 1005 and 1006 are not codes a close frame may carry.
    hibernatingSocket(ws).close(code === 1005 || code === 1006 ? 1000 : code, "closing");
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const conn = this.link(ws);
    if (conn) this.hub.closed(conn, 1011, "", `agent socket error: ${String(error)}`);
    await this.watchSettled();
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.hub.sweep(now);
    this.early.expire(now);
    // Ended flap windows post their summary; an agent silent past its digest period (plus two
    // intervals) turns stale, in this object and its shard, as Node's 5 s sweep does.
    if (this.watchDue() !== null) await this.watch()?.sweep();
    await runQueuedJobs({
      queue: this.jobs,
      store: this.store,
      logger: this.logger,
      agentHere: () => this.agentHere(),
      deps: (run) => this.jobDeps(run),
    });
    await this.scheduleAlarm();
  }

  /**
   * RPC from the Worker: run this triage or bundle job here, after the ack. Queued in this
   * object's SQLite and run by the alarm, one job at a time, so it outlives the Slack request
   * and a reset of this object (it runs again, with the same job id, when the agent is back).
   */
  async enqueueJob(jobId: string, run: QueuedRun): Promise<void> {
    this.jobs.enqueue(jobId, run, Date.now());
    await this.scheduleAlarm();
  }

  /** RPC: claims this host for a recover run (recover-claim.ts). */
  claimRecover(runId: string, graceMs: number): Promise<string | null> {
    return this.claim.claim(runId, graceMs);
  }

  /** RPC: the recover run under way on this host, if any (`unfreeze` says it stops it). */
  recoverRunning(graceMs: number): Promise<string | null> {
    return this.claim.running(graceMs);
  }

  /** RPC: a recover run gives its claim back (it ended, or could not start). */
  async releaseRecover(runId: string): Promise<void> {
    this.claim.release(runId);
  }

  /**
   * RPC: a recover run's job, run in turn with this host's triage and bundle jobs (the same
   * queue the alarm runs them through), so the agent never gets two at once from here.
   */
  async dispatchInTurn(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    let outcome: JobOutcome = { status: "lost", reason: "the job did not run", results: [] };
    await this.turns.inTurn(host, async () => {
      outcome = await this.hub.dispatch(host, job, onProgress);
    });
    return outcome;
  }

  /**
   * RPC: runs a job on the connected agent. Resolves with the agent's result, `timeout` at
   * the deadline (a timer: the object is awake for the whole job anyway, this call is open),
   * or `lost` when the socket closes. `onProgress` is a stub of the caller's function; each
   * step result is sent back to it as it arrives.
   */
  dispatch(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    return this.hub.dispatch(host, job, onProgress);
  }

  /**
   * RPC: a quick probe of the live fleet fan-out (`progress: false`, one frame each way): the
   * same as `dispatch`, without a progress callback crossing as a stub.
   */
  probe(host: string, job: JobSpec): Promise<JobOutcome> {
    return this.hub.dispatch(host, job, () => {});
  }

  /** RPC: is this host's agent connected and welcomed? */
  async isOnline(): Promise<boolean> {
    return this.agentHere();
  }

  /** RPC: what an operator sees at `GET /api/hosts/<host>/agent`. */
  async status(): Promise<HostAgentStatus> {
    const host = this.hub.onlineHosts()[0] ?? null;
    const conn = host === null ? null : this.hub.connection(host);
    return {
      host,
      online: conn !== null,
      connectedAt: conn?.state.connectedAt ?? null,
      instance: this.instance,
      pendingJobs: this.hub.pendingJobs,
      queuedJobs: this.jobs.size,
      watch: this.watchSummary(),
    };
  }

  /** The session's connection for a socket: made when it was accepted, or rebuilt from its attachment after a wake. */
  private link(ws: WebSocket): HubConnection | null {
    const known = this.links.get(ws);
    if (known) return known;
    const state = savedState(ws);
    if (!state) return null;
    const conn = this.hub.restore(hibernatingSocket(ws), state);
    this.links.set(ws, conn);
    return conn;
  }

  private agentHere(): boolean {
    return this.hub.onlineHosts().length > 0;
  }

  /** The hub's watch options: frames go to this object's watch service; none without the shards. */
  private watchOptions(env: WorkerEnv) {
    const settings = workerWatch(env);
    if (!settings) return {};
    return {
      watch: {
        ...settings,
        onFrame: async (host: string, frame: Parameters<WatchService["receive"]>[1]) => {
          await this.watch()?.receive(host, frame);
          await this.scheduleAlarm();
        },
        onGone: async (host: string, reason: string) => {
          await this.watch()?.gone(host, reason);
        },
      },
    };
  }

  /**
   * This object's watch service, made on first use. A held failure's triage is queued here like
   * a command's (run by the alarm, surviving a reset of the object).
   */
  private watch(): WatchService | null {
    if (this.watchService) return this.watchService;
    const shards = this.env.WATCH_SHARDS;
    const parsed = parseWorkerConfig(this.env);
    if (!shards || !parsed.ok) return null;
    const store = new HostWatchStore(this.env.DIRECTORY, this.tables.watch, shards);
    const jobs = {
      depth: () => this.jobs.size,
      start: async (_deps: unknown, job: { job: { id: string } }) => {
        this.jobs.enqueue(job.job.id, { kind: "triage" }, Date.now());
        await this.scheduleAlarm();
      },
      inTurn: <T>(key: string, task: () => Promise<T>) => this.turns.inTurn(key, task),
    };
    const deps = hostJobDeps(
      { env: this.env, config: parsed.config, logger: this.logger, store, transport: this.hub, jobs },
      { kind: "triage" },
    );
    this.watchService = new WatchService(deps, {
      settings: watchSettingsOf(this.env as unknown as Record<string, string | undefined>),
      freezePolicy: parsed.config.freezePolicy,
      // This object's store holds its own host's state; whether other agents report is in the shards.
      fleetWatch: () => listWatchShards(shards),
    });
    return this.watchService;
  }

  /** This host's stored watch state, if the watch ever stored one here. */
  private watchRecord(): WatchRecord | null {
    return this.tables.watch.any();
  }

  /**
   * When the watch's sweep is next due here (`nextSweepAt`): the end of an open flap window (its
   * summary), or the moment the agent has been silent past its digest period plus two intervals.
   * An alarm, not a timer: the object hibernates until then, and a frame moves it later.
   */
  private watchDue(): number | null {
    const record = this.watchRecord();
    if (!record) return null;
    let service: WatchService | null;
    try {
      service = this.watch();
    } catch {
      return null; // a CLAWOPS_WATCH_* value that is not a number of seconds: no watch, no alarm for it
    }
    // No watch service to sweep (the shards unbound, a bad configuration): no alarm that would find nothing to do.
    return service ? nextSweepAt(record, service.settings) : null;
  }

  /** What `GET /api/hosts/<host>/agent` shows of the watch: the held health, last report, staleness. */
  private watchSummary(): HostAgentStatus["watch"] {
    const record = this.watchRecord();
    if (!record) return null;
    return {
      healthy: record.held?.healthy ?? null,
      since: record.held?.since ?? null,
      reportedAt: record.reportedAt,
      stale: record.stale,
    };
  }

  /** Waits for the watch's work on a frame or a disconnect to finish, then sets the next alarm. */
  private async watchSettled(): Promise<void> {
    if (!this.watchService) return;
    await this.watchService.idle();
    await this.scheduleAlarm();
  }

  private jobDeps(run: QueuedRun) {
    const parsed = parseWorkerConfig(this.env);
    if (!parsed.ok) return null;
    const parts = { env: this.env, config: parsed.config, logger: this.logger, store: this.store };
    return hostJobDeps(
      { ...parts, transport: this.hub, jobs: new InProcessJobs(HOST_JOB_KINDS, { turns: this.turns }) },
      run,
    );
  }

  private async scheduleAlarm(): Promise<void> {
    const deadlines: number[] = [];
    const handshake = this.hub.nextHandshakeDeadline();
    if (handshake !== null) deadlines.push(handshake);
    const queued = this.jobs.next();
    if (queued) {
      // Run now if the agent is here, else check again shortly (it may be reconnecting).
      deadlines.push(
        this.agentHere() ? Date.now() : Math.min(queued.enqueuedAt + WAIT_FOR_AGENT_MS, Date.now() + 1_000),
      );
    }
    const early = this.early.nextExpiry();
    if (early !== null) deadlines.push(early);
    const watchDue = this.watchDue();
    if (watchDue !== null) deadlines.push(watchDue);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    await this.ctx.storage.setAlarm(Math.max(Date.now(), Math.min(...deadlines)));
  }
}

function heartbeatMs(env: WorkerEnv): number {
  return workerVar(env, "AGENT_HEARTBEAT_MS") ?? DEFAULT_HEARTBEAT_MS;
}
