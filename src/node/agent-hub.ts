import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { AgentCloseCode, type AgentFrame, type HubFrame } from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import {
  closeReason,
  disconnectReason,
  newChallenge,
  PendingJobs,
  parseAgentFrame,
  readHello,
  verifyHello,
  welcomeFrame,
} from "../core/hub/agent-session.ts";
import type { Clock, HostTransport, JobOutcome, JobSpec, Logger, Store } from "../core/ports.ts";

export const AGENT_PATH = "/agent/connect";

export interface AgentHubOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  heartbeatMs?: number;
  handshakeTimeoutMs?: number;
  /** Extra time after a job's deadline before it is declared timed out (network, classify). */
  deadlineGraceMs?: number;
}

interface AgentSession {
  host: string;
  ws: WebSocket;
  alive: boolean;
}

/**
 * Agents dial out to this hub over WebSocket (hosts open no inbound port). The hub speaks
 * first with a nonce, checks the Ed25519 signature against the enrolled key, then runs
 * jobs. A closed socket fails its pending jobs as `lost` at once: nothing waits forever.
 */
export class AgentHub implements HostTransport {
  // No per-message deflate: its zlib context costs ~300 KB per socket, and frames are small JSON.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  /**
   * Connections still in the handshake, with their deadline. One shared sweep closes the late
   * ones instead of a timer per connection (1,000 agents reconnecting at once = 1,000 timers).
   */
  private readonly handshaking = new Map<WebSocket, { deadline: number; peer: string }>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly sessions = new Map<string, AgentSession>();
  private readonly pending = new PendingJobs();
  private readonly opts: Required<AgentHubOptions>;
  private pingTimer: NodeJS.Timeout;

  constructor(opts: AgentHubOptions) {
    this.opts = {
      ...opts,
      heartbeatMs: opts.heartbeatMs ?? 15_000,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      deadlineGraceMs: opts.deadlineGraceMs ?? 3_000,
    };
    // Liveness: an agent whose TCP peer vanished (no FIN) misses two pings and is dropped.
    this.pingTimer = setInterval(() => this.pingAll(), this.opts.heartbeatMs);
    this.pingTimer.unref();
    this.sweepTimer = setInterval(() => this.sweepHandshakes(), Math.min(1_000, this.opts.handshakeTimeoutMs));
    this.sweepTimer.unref();
  }

  /** Hook for the HTTP server's `upgrade` event. Returns false for paths it does not own. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== AGENT_PATH) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    return true;
  }

  async isOnline(host: string): Promise<boolean> {
    return this.sessions.has(host);
  }

  onlineHosts(): string[] {
    return [...this.sessions.keys()];
  }

  dispatch(host: string, job: JobSpec, onProgress: (r: StepResult) => void): Promise<JobOutcome> {
    const session = this.sessions.get(host);
    if (!session) return Promise.resolve({ status: "lost", reason: "agent not connected", results: [] });
    return new Promise<JobOutcome>((resolve) => {
      const timer = setTimeout(() => {
        const got = this.pending.timeout(job.jobId);
        this.opts.logger.warn("job deadline passed", { job: job.jobId, host, got: got ?? 0 });
      }, job.deadlineMs + this.opts.deadlineGraceMs);
      this.pending.add(job.jobId, { host, onProgress, resolve, cancel: () => clearTimeout(timer) });
      this.send(session.ws, { type: "job.run", jobId: job.jobId, steps: job.steps, deadlineMs: job.deadlineMs });
    });
  }

  /**
   * Drops the host's agent (its key was revoked or the host removed): close code 4403, the
   * one the agent reads as fatal, and its pending jobs fail as lost. A handshake under way
   * for the host is refused when it verifies, since the store no longer accepts the key.
   */
  async disconnect(host: string, reason: string): Promise<boolean> {
    const session = this.sessions.get(host);
    if (!session) return false;
    this.sessions.delete(host);
    session.ws.close(AgentCloseCode.revoked, closeReason(reason));
    this.failPending(host, `agent disconnected: ${reason}`);
    this.opts.logger.warn("agent dropped", { host, reason });
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    clearInterval(this.sweepTimer);
    this.handshaking.clear();
    for (const s of this.sessions.values()) s.ws.close(1001, "control plane shutting down");
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const peer = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const challenge = newChallenge(this.opts.clock.now());
    let host: string | null = null;
    this.handshaking.set(ws, { deadline: Date.now() + this.opts.handshakeTimeoutMs, peer });

    ws.on("message", (data, isBinary) => {
      const raw = isBinary ? new ArrayBuffer(0) : data.toString();
      if (host === null) {
        const read = readHello(raw);
        if (!read.ok) return this.reject(ws, peer, read.closeCode, read.reason);
        const frame = read.hello;
        // Mark as "in handshake" so a second hello during verification is refused.
        host = "";
        void verifyHello(this.opts.store, challenge.nonce, frame).then(async (verdict) => {
          this.handshaking.delete(ws);
          if (!verdict.ok) return this.reject(ws, peer, verdict.closeCode, verdict.reason, frame.host);
          if (ws.readyState !== WebSocket.OPEN) return;
          host = verdict.host;
          this.register(host, ws);
          await this.opts.store.recordHostSeen(host, {
            at: this.opts.clock.now(),
            agentVersion: frame.agentVersion,
            gatewayVersion: frame.gatewayVersion ?? null,
          });
          this.send(ws, welcomeFrame(host, this.opts.heartbeatMs));
          this.opts.logger.info("agent connected", { host, peer, agentVersion: frame.agentVersion });
        });
        return;
      }
      const parsed = parseAgentFrame(raw);
      if (!parsed.ok) return this.reject(ws, peer, parsed.closeCode, parsed.reason, host);
      if (host === "") return this.reject(ws, peer, AgentCloseCode.policy, "frame before welcome");
      this.onAgentFrame(host, ws, parsed.frame);
    });

    ws.on("pong", () => {
      const s = host ? this.sessions.get(host) : undefined;
      if (s && s.ws === ws) s.alive = true;
    });

    ws.on("close", (code, reason) => {
      this.handshaking.delete(ws);
      if (!host) return;
      const session = this.sessions.get(host);
      if (session?.ws !== ws) return; // replaced by a newer connection
      this.sessions.delete(host);
      const why = disconnectReason(code, reason.toString());
      this.opts.logger.warn("agent disconnected", { host, code, reason: reason.toString() });
      this.failPending(host, why);
    });
    ws.on("error", (err) => this.opts.logger.warn("agent socket error", { peer, host, err: err.message }));
    this.send(ws, challenge.frame);
  }

  private onAgentFrame(host: string, ws: WebSocket, frame: AgentFrame): void {
    switch (frame.type) {
      case "hello":
        this.reject(ws, "", AgentCloseCode.policy, "hello after welcome", host);
        return;
      case "heartbeat":
        void this.opts.store.recordHostSeen(host, {
          at: this.opts.clock.now(),
          gatewayVersion: frame.gatewayVersion ?? null,
        });
        return;
      case "job.progress":
        // Late progress for a finished/lost job is dropped.
        this.pending.progress(host, frame.jobId, frame.result);
        return;
      case "job.result":
        // Ack even unknown jobs so the agent's outbox drains after a hub restart.
        this.send(ws, { type: "job.ack", jobId: frame.jobId });
        if (!this.pending.result(host, frame)) {
          this.opts.logger.info("result for a job no longer pending", { host, job: frame.jobId });
        }
        return;
    }
  }

  private register(host: string, ws: WebSocket): void {
    const old = this.sessions.get(host);
    this.sessions.set(host, { host, ws, alive: true });
    if (old && old.ws !== ws) {
      old.ws.close(AgentCloseCode.replaced, "replaced by a newer connection");
      this.failPending(host, "agent reconnected on a new connection");
    }
  }

  private failPending(host: string, reason: string): void {
    this.pending.failHost(host, reason);
  }

  private reject(ws: WebSocket, peer: string, code: number, reason: string, host?: string | null): void {
    this.opts.logger.warn("agent connection refused", { peer, host: host || undefined, code, reason });
    // Close reasons are limited to 123 bytes (RFC 6455 §5.5).
    ws.close(code, closeReason(reason));
  }

  private sweepHandshakes(): void {
    const now = Date.now();
    for (const [ws, h] of this.handshaking) {
      if (h.deadline > now) continue;
      this.handshaking.delete(ws);
      this.opts.logger.warn("agent handshake timed out", { peer: h.peer });
      ws.close(AgentCloseCode.handshakeTimeout, "handshake timeout");
    }
  }

  private pingAll(): void {
    for (const s of this.sessions.values()) {
      if (!s.alive) {
        this.opts.logger.warn("agent missed heartbeats; dropping", { host: s.host });
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }

  private send(ws: WebSocket, frame: HubFrame): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }
}
