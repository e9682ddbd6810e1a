import { DurableObject } from "cloudflare:workers";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { AgentCloseCode, type HubFrame, JobResultFrame, parseFrame } from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import { runBundle } from "../core/bundles/bundle.ts";
import type { TicketRef } from "../core/bundles/tickets.ts";
import type { CoreDeps } from "../core/deps.ts";
import {
  closeReason,
  disconnectReason,
  newChallenge,
  outcomeOf,
  PendingJobs,
  parseAgentFrame,
  readHello,
  verifyHello,
  welcomeFrame,
} from "../core/hub/agent-session.ts";
import { HostJobQueue } from "../core/jobs/host-queue.ts";
import type { Clock, HostTransport, Ids, JobOutcome, JobSpec } from "../core/ports.ts";
import { runTriage } from "../core/triage/triage.ts";
import { workerBundleServices } from "./bundles.ts";
import { DirectoryStore } from "./directory.ts";
import { parseWorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { runIsLive } from "./recover-workflow.ts";

/** Header the Worker sets when it routes an agent upgrade here; the hello must name the same host. */
export const HOST_HEADER = "x-clawops-host";
const AGENT_TAG = "agent";
const HANDSHAKE_TIMEOUT_MS = 10_000;
const DEADLINE_GRACE_MS = 3_000;
/**
 * How often the agent sends a heartbeat frame. Each one wakes this object, so it is far
 * longer than the Node hub's 15 s ping: the object hibernates between heartbeats and jobs.
 */
const DEFAULT_HEARTBEAT_MS = 60_000;
/** A queued job waits this long for its agent to (re)connect before it runs and ends `lost`. */
const WAIT_FOR_AGENT_MS = 30_000;
/** Results that arrive for no pending job are kept this long, for a re-sent job to pick up. */
const EARLY_RESULT_TTL_MS = 10 * 60_000;

const clock: Clock = { now: () => Date.now() };
const ids: Ids = { id: (prefix) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` };

/** Per-connection state, kept in the socket's attachment so it survives hibernation. */
interface Attachment {
  host: string;
  nonce: string;
  state: "handshake" | "verifying" | "open" | "closed";
  connectedAt: number;
  handshakeDeadline: number;
}

/** What `status()` reports: enough for an operator (and the tests) to see the object's life. */
export interface HostAgentStatus {
  host: string | null;
  online: boolean;
  connectedAt: number | null;
  /** Changes every time the object is constructed: after hibernation or eviction it is new. */
  instance: string;
  pendingJobs: number;
  /** Triage and bundle jobs queued or running in this object. */
  queuedJobs: number;
}

/** What a queued job's run needs beyond its record (the job itself is in the directory). */
export type QueuedRun = (
  | { kind: "triage" }
  | {
      kind: "bundle";
      tickets: TicketRef[];
      /** The origin the command came in on: where the bundle's signed link points by default. */
      publicUrl: string;
    }
) & {
  /** The command's Slack `response_url`: where the asker hears that the thread cannot be written. */
  responseUrl?: string | undefined;
};

type QueueRow = { job_id: string; run: string; enqueued_at: number };

/**
 * One Durable Object per enrolled host (named by the host): it terminates that host's agent
 * WebSocket with the hibernation API, so an idle agent costs no running object. The socket's
 * handshake state rides in its attachment and handshake deadlines are alarms, so no timer
 * keeps an idle object awake. Triage and bundle jobs are queued in its SQLite and run by its
 * alarm (the same `runTriage` and `runBundle` as Node, posting to Slack from here); a closed
 * socket fails the pending job at once, and a job interrupted by a reset of this object runs
 * again when it is back.
 */
export class HostAgent extends DurableObject<WorkerEnv> {
  private readonly pending = new PendingJobs();
  private readonly store: DirectoryStore;
  private readonly logger = createConsoleLogger("clawops-host");
  private readonly instance = crypto.randomUUID();
  private readonly queue = new HostJobQueue();

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.store = new DirectoryStore(env.DIRECTORY);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS job_queue (job_id TEXT PRIMARY KEY, run TEXT NOT NULL, enqueued_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS early_results (job_id TEXT PRIMARY KEY, frame TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS recover_claim (run_id TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
    `);
    // Objects from before bundles ran here queued triages only, in `triage_queue`: move them.
    const tables = ctx.storage.sql.exec<{ name: string }>("PRAGMA table_list").toArray();
    if (tables.some((t) => t.name === "triage_queue")) {
      ctx.storage.sql.exec(`
        INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at)
          SELECT job_id, '{"kind":"triage"}', enqueued_at FROM triage_queue;
        DROP TABLE triage_queue;
      `);
    }
    // A triage queued or under way when the previous instance went away (eviction, restart,
    // deploy) runs again: the alarm picks it up once the agent is back.
    ctx.blockConcurrencyWhile(async () => {
      if (this.queuedJobs().length > 0) await this.scheduleAlarm();
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
    const now = Date.now();
    const challenge = newChallenge(now);
    const attachment: Attachment = {
      host,
      nonce: challenge.nonce,
      state: "handshake",
      connectedAt: now,
      handshakeDeadline: now + HANDSHAKE_TIMEOUT_MS,
    };
    server.serializeAttachment(attachment);
    send(server, challenge.frame);
    await this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as Attachment | null;
    if (!att) return this.reject(ws, AgentCloseCode.policy, "connection has no state");
    if (att.state === "handshake") return this.onHello(ws, att, message);
    const parsed = parseAgentFrame(message);
    if (!parsed.ok) return this.reject(ws, parsed.closeCode, parsed.reason, att.host);
    if (att.state === "verifying") return this.reject(ws, AgentCloseCode.policy, "frame before welcome", att.host);
    const frame = parsed.frame;
    switch (frame.type) {
      case "hello":
        // A hello on a socket already closed for its handshake deadline is just late: it is
        // closing with that code, so there is nothing more to refuse or log.
        if (att.state === "closed") return;
        return this.reject(ws, AgentCloseCode.policy, "hello after welcome", att.host);
      case "heartbeat":
        await this.store.recordHostSeen(att.host, { at: Date.now(), gatewayVersion: frame.gatewayVersion ?? null });
        return;
      case "job.progress":
        this.pending.progress(att.host, frame.jobId, frame.result);
        return;
      case "job.result":
        // Ack even unknown jobs so the agent's outbox drains after a restart of this object.
        send(ws, { type: "job.ack", jobId: frame.jobId });
        if (!this.pending.result(att.host, frame)) {
          // A job this object sent before it was reset: keep the result for the re-run.
          this.logger.info("result for a job no longer pending", { host: att.host, job: frame.jobId });
          this.ctx.storage.sql.exec(
            "INSERT OR REPLACE INTO early_results (job_id, frame, at) VALUES (?, ?, ?)",
            frame.jobId,
            JSON.stringify(frame),
            Date.now(),
          );
        }
        return;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.onGone(ws, disconnectReason(code, reason), code);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closing");
    } catch {
      // Already closed by the runtime.
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.onGone(ws, `agent socket error: ${String(error)}`, 1011);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets(AGENT_TAG)) {
      const att = ws.deserializeAttachment() as Attachment | null;
      if ((att?.state === "handshake" || att?.state === "verifying") && att.handshakeDeadline <= now) {
        ws.serializeAttachment({ ...att, state: "closed" } satisfies Attachment);
        this.reject(ws, AgentCloseCode.handshakeTimeout, "handshake timeout", att.host);
      }
    }
    this.ctx.storage.sql.exec("DELETE FROM early_results WHERE at < ?", now - EARLY_RESULT_TTL_MS);
    await this.drainQueue();
    await this.scheduleAlarm();
  }

  /**
   * RPC from the Worker: run this triage or bundle job here, after the ack. Queued in this
   * object's SQLite and run by the alarm, one job at a time, so it outlives the Slack request
   * and a reset of this object (it runs again, with the same job id, when the agent is back).
   */
  async enqueueJob(jobId: string, run: QueuedRun): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at) VALUES (?, ?, ?)",
      jobId,
      JSON.stringify(run),
      Date.now(),
    );
    await this.scheduleAlarm();
  }

  private queuedJobs(): QueueRow[] {
    return this.ctx.storage.sql.exec<QueueRow>("SELECT * FROM job_queue ORDER BY enqueued_at, job_id").toArray();
  }

  private async drainQueue(): Promise<void> {
    for (;;) {
      const next = this.queuedJobs()[0];
      if (!next) return;
      // After a reset the agent reconnects within seconds: wait for it rather than fail the job.
      if (!this.openSocket() && Date.now() - next.enqueued_at < WAIT_FOR_AGENT_MS) return;
      const run = JSON.parse(next.run) as QueuedRun;
      const deps = this.coreDeps(run);
      const job = await this.store.getJob(next.job_id);
      if (deps && job?.status === "running") {
        await deps.hostQueue
          .run(job.host, () =>
            run.kind === "bundle"
              ? runBundle(deps, job, { tickets: run.tickets, responseUrl: run.responseUrl }).then(() => undefined)
              : runTriage(deps, job, run.responseUrl ? { responseUrl: run.responseUrl } : {}),
          )
          .catch((err) => this.logger.error(`${run.kind} failed`, { job: job.id, err: String(err) }));
      } else if (!deps) {
        this.logger.error(`${run.kind} not run: worker not configured`, { job: next.job_id });
        await this.store.updateJob(next.job_id, {
          status: "lost",
          finishedAt: Date.now(),
          detail: "clawops is not configured (Slack secrets missing)",
        });
      }
      this.ctx.storage.sql.exec("DELETE FROM job_queue WHERE job_id = ?", next.job_id);
    }
  }

  private coreDeps(run: QueuedRun): CoreDeps | null {
    const parsed = parseWorkerConfig(this.env);
    if (!parsed.ok) return null;
    const config = parsed.config;
    const chat = new SlackWebApiChat({
      token: config.SLACK_BOT_TOKEN,
      apiUrl: config.SLACK_API_URL,
      logger: this.logger,
    });
    const transport: HostTransport = {
      isOnline: async () => this.openSocket() !== null,
      dispatch: (_host, job, onProgress) => this.dispatch(job, onProgress),
    };
    const deps: CoreDeps = {
      store: this.store,
      transport,
      chat,
      clock,
      ids,
      logger: this.logger,
      hostQueue: this.queue,
    };
    if (run.kind !== "bundle") return deps;
    const bundles = workerBundleServices(this.env, run.publicUrl);
    // Without them `runBundle` says so in the thread and ends the job.
    return bundles.ok ? { ...deps, bundles: bundles.services } : deps;
  }

  /**
   * RPC: claims this host for a recover run (one at a time, as on Node). Null when claimed;
   * else the id of the run that holds it. A claim whose Workflow instance has ended (finished,
   * failed, terminated) without giving it back is taken over; a claim younger than `graceMs`
   * holds even though its instance may not exist yet.
   */
  async claimRecover(runId: string, graceMs: number): Promise<string | null> {
    const holder = () =>
      this.ctx.storage.sql
        .exec<{ run_id: string; claimed_at: number }>("SELECT run_id, claimed_at FROM recover_claim")
        .toArray()[0];
    const held = holder();
    if (held && held.run_id !== runId) {
      if (Date.now() - held.claimed_at < graceMs || (await runIsLive(this.env, held.run_id))) return held.run_id;
      // Another claim may have landed while the instance was asked about (the input gate is open).
      const now = holder();
      if (now && now.run_id !== held.run_id) return now.run_id;
      this.logger.warn("recover claim taken over from an ended run", { run: held.run_id });
    }
    this.ctx.storage.sql.exec("DELETE FROM recover_claim");
    this.ctx.storage.sql.exec("INSERT INTO recover_claim (run_id, claimed_at) VALUES (?, ?)", runId, Date.now());
    return null;
  }

  /** RPC: a recover run gives its claim back (it ended, or could not start). */
  async releaseRecover(runId: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM recover_claim WHERE run_id = ?", runId);
  }

  /**
   * RPC: a recover run's job, run in turn with this host's triage and bundle jobs (the same
   * queue the alarm runs them through), so the agent never gets two at once from here.
   */
  async dispatchInTurn(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    let outcome: JobOutcome = { status: "lost", reason: "the job did not run", results: [] };
    await this.queue.run(host, async () => {
      outcome = await this.dispatch(job, onProgress);
    });
    return outcome;
  }

  /** RPC: is this host's agent connected and welcomed? */
  async isOnline(): Promise<boolean> {
    return this.openSocket() !== null;
  }

  /** RPC: what an operator sees at `GET /api/hosts/<host>/agent`. */
  async status(): Promise<HostAgentStatus> {
    const open = this.openSocket();
    const att = open ? (open.deserializeAttachment() as Attachment) : null;
    return {
      host: att?.host ?? null,
      online: open !== null,
      connectedAt: att?.connectedAt ?? null,
      instance: this.instance,
      pendingJobs: this.pending.size,
      queuedJobs: this.queuedJobs().length,
    };
  }

  /**
   * RPC: runs a job on the connected agent. Resolves with the agent's result, `timeout` at
   * the deadline (an alarm), or `lost` when the socket closes. `onProgress` is a stub of the
   * caller's function; each step result is sent back to it as it arrives.
   */
  async dispatch(job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    const early = this.ctx.storage.sql
      .exec<{ frame: string }>("SELECT frame FROM early_results WHERE job_id = ?", job.jobId)
      .toArray()[0];
    if (early) {
      // The agent finished this job for an earlier instance of this object and re-sent it.
      this.ctx.storage.sql.exec("DELETE FROM early_results WHERE job_id = ?", job.jobId);
      const parsed = parseFrame(JobResultFrame, early.frame);
      if (parsed.ok) return outcomeOf(parsed.frame);
    }
    const ws = this.openSocket();
    if (!ws) return { status: "lost", reason: "agent not connected", results: [] };
    const att = ws.deserializeAttachment() as Attachment;
    const outcome = new Promise<JobOutcome>((resolve) => {
      // A timer, not an alarm: the object is awake for the whole job anyway (this call is open).
      const timer = setTimeout(() => {
        const got = this.pending.timeout(job.jobId);
        this.logger.warn("job deadline passed", { job: job.jobId, got: got ?? 0 });
      }, job.deadlineMs + DEADLINE_GRACE_MS);
      this.pending.add(job.jobId, {
        host: att.host,
        onProgress: (r) => {
          Promise.resolve(onProgress(r)).catch((err) =>
            this.logger.warn("progress callback failed", { job: job.jobId, err: String(err) }),
          );
        },
        resolve,
        cancel: () => clearTimeout(timer),
      });
    });
    send(ws, { type: "job.run", jobId: job.jobId, steps: job.steps, deadlineMs: job.deadlineMs });
    return outcome;
  }

  private async onHello(ws: WebSocket, att: Attachment, message: string | ArrayBuffer): Promise<void> {
    const read = readHello(message);
    if (!read.ok) return this.reject(ws, read.closeCode, read.reason, att.host);
    const hello = read.hello;
    // Persisted before the await: a second frame during verification is refused.
    ws.serializeAttachment({ ...att, state: "verifying" } satisfies Attachment);
    const verdict = await verifyHello(this.store, att.nonce, hello, att.host);
    if (!verdict.ok) return this.reject(ws, verdict.closeCode, verdict.reason, hello.host);
    if (ws.readyState !== WebSocket.OPEN) return;
    for (const other of this.ctx.getWebSockets(AGENT_TAG)) {
      if (other === ws) continue;
      const o = other.deserializeAttachment() as Attachment | null;
      if (o?.state !== "open") continue;
      other.serializeAttachment({ ...o, state: "closed" } satisfies Attachment);
      this.reject(other, AgentCloseCode.replaced, "replaced by a newer connection", o.host);
      this.pending.failHost(att.host, "agent reconnected on a new connection");
    }
    ws.serializeAttachment({ ...att, state: "open" } satisfies Attachment);
    await this.store.recordHostSeen(verdict.host, {
      at: Date.now(),
      agentVersion: hello.agentVersion,
      gatewayVersion: hello.gatewayVersion ?? null,
    });
    send(ws, welcomeFrame(verdict.host, this.heartbeatMs()));
    this.logger.info("agent connected", { host: verdict.host, agentVersion: hello.agentVersion });
    // Jobs waiting for this agent run now.
    if (this.queuedJobs().length > 0) await this.ctx.storage.setAlarm(Date.now());
  }

  private onGone(ws: WebSocket, why: string, code: number): void {
    const att = ws.deserializeAttachment() as Attachment | null;
    if (att?.state !== "open") return;
    ws.serializeAttachment({ ...att, state: "closed" } satisfies Attachment);
    if (this.openSocket()) return; // a newer connection took over
    this.logger.warn("agent disconnected", { host: att.host, code });
    this.pending.failHost(att.host, why);
  }

  private openSocket(): WebSocket | null {
    for (const ws of this.ctx.getWebSockets(AGENT_TAG)) {
      const att = ws.deserializeAttachment() as Attachment | null;
      if (att?.state === "open" && ws.readyState === WebSocket.OPEN) return ws;
    }
    return null;
  }

  private heartbeatMs(): number {
    const n = Number(this.env.AGENT_HEARTBEAT_MS);
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_HEARTBEAT_MS;
  }

  private async scheduleAlarm(): Promise<void> {
    const deadlines: number[] = [];
    for (const ws of this.ctx.getWebSockets(AGENT_TAG)) {
      const att = ws.deserializeAttachment() as Attachment | null;
      if (att?.state === "handshake" || att?.state === "verifying") deadlines.push(att.handshakeDeadline);
    }
    const queued = this.queuedJobs()[0];
    if (queued) {
      // Run now if the agent is here, else check again shortly (it may be reconnecting).
      deadlines.push(
        this.openSocket() ? Date.now() : Math.min(queued.enqueued_at + WAIT_FOR_AGENT_MS, Date.now() + 1_000),
      );
    }
    const early = this.ctx.storage.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM early_results").one();
    if (early.at !== null) deadlines.push(early.at + EARLY_RESULT_TTL_MS);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    await this.ctx.storage.setAlarm(Math.max(Date.now(), Math.min(...deadlines)));
  }

  private reject(ws: WebSocket, code: number, reason: string, host?: string): void {
    this.logger.warn("agent connection refused", { host, code, reason });
    try {
      ws.close(code, closeReason(reason));
    } catch {
      // Already closed.
    }
  }
}

function send(ws: WebSocket, frame: HubFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // The socket closed meanwhile; its close handler fails what was pending.
  }
}
