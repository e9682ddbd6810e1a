import { DurableObject } from "cloudflare:workers";
import type { JobOutcome, JobSpec } from "../core/ports.ts";
import type { StepResult } from "../core/probes/catalog.ts";
import {
  closeReason,
  disconnectReason,
  newChallenge,
  PendingJobs,
  parseAgentFrame,
  readHello,
  verifyHello,
  welcomeFrame,
} from "../core/protocol/agent-session.ts";
import { AgentCloseCode, type HubFrame } from "../core/protocol/agent-wire.ts";
import { DirectoryStore } from "./directory.ts";
import type { WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";

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

/** Per-connection state, kept in the socket's attachment so it survives hibernation. */
interface Attachment {
  host: string;
  nonce: string;
  state: "handshake" | "verifying" | "open";
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
}

/**
 * One Durable Object per enrolled host (named by the host): it terminates that host's agent
 * WebSocket with the hibernation API, so an idle agent costs no running object. The socket's
 * handshake state rides in its attachment; job deadlines are alarms, so no timer keeps the
 * object awake. A job's caller waits in `dispatch` (an RPC from the Worker); a closed socket
 * fails its pending jobs at once.
 */
export class HostAgent extends DurableObject<WorkerEnv> {
  private readonly pending = new PendingJobs();
  private readonly store: DirectoryStore;
  private readonly logger = createConsoleLogger("clawops-host");
  private readonly instance = crypto.randomUUID();

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.store = new DirectoryStore(env.DIRECTORY);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS pending_jobs (job_id TEXT PRIMARY KEY, deadline_at INTEGER NOT NULL, sent_at INTEGER NOT NULL)",
    );
    // Jobs recorded by an earlier instance had their caller in that instance: they cannot be
    // answered any more (the caller saw the call fail). Forget them; the agent's result is
    // still acked when it arrives, so its outbox drains.
    ctx.storage.sql.exec("DELETE FROM pending_jobs");
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
        this.ctx.storage.sql.exec("DELETE FROM pending_jobs WHERE job_id = ?", frame.jobId);
        if (!this.pending.result(att.host, frame)) {
          this.logger.info("result for a job no longer pending", { host: att.host, job: frame.jobId });
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
      if (att && att.state !== "open" && att.handshakeDeadline <= now) {
        this.logger.warn("agent handshake timed out", { host: att.host });
        ws.close(AgentCloseCode.handshakeTimeout, "handshake timeout");
      }
    }
    const due = this.ctx.storage.sql
      .exec<{ job_id: string }>("SELECT job_id FROM pending_jobs WHERE deadline_at <= ?", now)
      .toArray();
    for (const { job_id } of due) {
      const got = this.pending.timeout(job_id);
      this.ctx.storage.sql.exec("DELETE FROM pending_jobs WHERE job_id = ?", job_id);
      this.logger.warn("job deadline passed", { job: job_id, got: got ?? 0 });
    }
    await this.scheduleAlarm();
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
    };
  }

  /**
   * RPC: runs a job on the connected agent. Resolves with the agent's result, `timeout` at
   * the deadline (an alarm), or `lost` when the socket closes. `onProgress` is a stub of the
   * caller's function; each step result is sent back to it as it arrives.
   */
  async dispatch(job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    const ws = this.openSocket();
    if (!ws) return { status: "lost", reason: "agent not connected", results: [] };
    const att = ws.deserializeAttachment() as Attachment;
    const sentAt = Date.now();
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO pending_jobs (job_id, deadline_at, sent_at) VALUES (?, ?, ?)",
      job.jobId,
      sentAt + job.deadlineMs + DEADLINE_GRACE_MS,
      sentAt,
    );
    await this.scheduleAlarm();
    const outcome = new Promise<JobOutcome>((resolve) => {
      this.pending.add(job.jobId, {
        host: att.host,
        onProgress: (r) => {
          Promise.resolve(onProgress(r)).catch((err) =>
            this.logger.warn("progress callback failed", { job: job.jobId, err: String(err) }),
          );
        },
        resolve,
        cancel: () => this.ctx.storage.sql.exec("DELETE FROM pending_jobs WHERE job_id = ?", job.jobId),
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
      other.serializeAttachment({ ...o, state: "handshake", handshakeDeadline: 0 } satisfies Attachment);
      other.close(AgentCloseCode.replaced, "replaced by a newer connection");
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
  }

  private onGone(ws: WebSocket, why: string, code: number): void {
    const att = ws.deserializeAttachment() as Attachment | null;
    if (att?.state !== "open") return;
    ws.serializeAttachment({ ...att, state: "handshake", handshakeDeadline: 0 } satisfies Attachment);
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
      if (att && att.state !== "open" && att.handshakeDeadline > 0) deadlines.push(att.handshakeDeadline);
    }
    const row = this.ctx.storage.sql
      .exec<{ next: number | null }>("SELECT MIN(deadline_at) AS next FROM pending_jobs")
      .one();
    if (row.next !== null) deadlines.push(row.next);
    if (deadlines.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const next = Math.max(Date.now() + 10, Math.min(...deadlines));
    await this.ctx.storage.setAlarm(next);
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
