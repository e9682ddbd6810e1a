import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { AgentCloseCode } from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import type { FrameSocket } from "../core/hub/frame-socket.ts";
import { type HubConnection, HubSession, type HubSessionOptions } from "../core/hub/hub-session.ts";
import { closeReason } from "../core/hub/protocol.ts";
import type { Clock, Logger } from "../core/ports/basics.ts";
import type { Store } from "../core/ports/store.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../core/ports/transport.ts";

export const AGENT_PATH = "/agent/connect";

export interface AgentHubOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  heartbeatMs?: number;
  handshakeTimeoutMs?: number;
  /** Extra time after a job's deadline before it is declared timed out (network, classify). */
  deadlineGraceMs?: number;
  /** The watch: interval and digest period told to agents, and where their frames go (docs/watch.md). */
  watch?: HubSessionOptions["watch"];
}

/** A `ws` socket as the hub session's FrameSocket: JSON text out while open. */
function wsFrameSocket(ws: WebSocket): FrameSocket {
  return {
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

/**
 * Agents dial out to this hub over WebSocket (hosts open no inbound port). The protocol is
 * the one `HubSession` (src/core/hub/hub-session.ts); this shell moves its frames over `ws`,
 * runs its handshake sweep, and drops agents whose TCP peer vanished (missed pings).
 */
export class AgentHub implements HostTransport {
  // No per-message deflate: its zlib context costs ~300 KB per socket, and frames are small JSON.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  private readonly session: HubSession;
  private readonly sockets = new Map<WebSocket, { link: HubConnection; alive: boolean }>();
  private readonly logger: Logger;
  /**
   * One shared sweep closes late handshakes instead of a timer per connection (1,000 agents
   * reconnecting at once = 1,000 timers).
   */
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly pingTimer: NodeJS.Timeout;
  private closed = false;

  constructor(opts: AgentHubOptions) {
    const heartbeatMs = opts.heartbeatMs ?? 15_000;
    const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.logger = opts.logger;
    this.session = new HubSession({
      store: opts.store,
      clock: opts.clock,
      logger: opts.logger,
      heartbeatMs,
      handshakeTimeoutMs,
      deadlineGraceMs: opts.deadlineGraceMs ?? 3_000,
      ...(opts.watch ? { watch: opts.watch } : {}),
    });
    // Liveness: an agent whose TCP peer vanished (no FIN) misses two pings and is dropped.
    this.pingTimer = setInterval(() => this.pingAll(), heartbeatMs);
    this.pingTimer.unref();
    this.sweepTimer = setInterval(() => this.session.sweep(opts.clock.now()), Math.min(1_000, handshakeTimeoutMs));
    this.sweepTimer.unref();
  }

  /** Hook for the HTTP server's `upgrade` event. Returns false for paths it does not own. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== AGENT_PATH) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    return true;
  }

  isOnline(host: string): Promise<boolean> {
    return this.session.isOnline(host);
  }

  /** False once closed: no agent can connect any more. */
  get accepting(): boolean {
    return !this.closed;
  }

  onlineHosts(): string[] {
    return this.session.onlineHosts();
  }

  dispatch(host: string, job: JobSpec, onProgress: (r: StepResult) => void): Promise<JobOutcome> {
    return this.session.dispatch(host, job, onProgress);
  }

  /**
   * Drops the host's agent (its key was revoked or the host removed): close code 4403, the
   * one the agent reads as fatal, and its pending jobs fail as lost. A handshake under way
   * for the host is refused when it verifies, since the store no longer accepts the key.
   */
  async disconnect(host: string, reason: string): Promise<boolean> {
    const link = this.session.connection(host);
    if (!link) return false;
    link.socket.close(AgentCloseCode.revoked, closeReason(reason));
    // Ends the session now (pending jobs lost), not when the close handshake completes.
    this.session.closed(link, AgentCloseCode.revoked, reason, `agent disconnected: ${reason}`);
    this.logger.warn("agent dropped", { host, reason });
    return true;
  }

  /** Closes every agent socket and the hub; closing again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    clearInterval(this.sweepTimer);
    for (const [ws, s] of this.sockets) {
      if (s.link.state.state === "open") ws.close(1001, "control plane shutting down");
    }
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const peer = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const entry = { link: this.session.accept(wsFrameSocket(ws), { peer }), alive: true };
    this.sockets.set(ws, entry);
    ws.on("message", (data, isBinary) => {
      void this.session.receive(entry.link, isBinary ? new ArrayBuffer(0) : data.toString());
    });
    ws.on("pong", () => {
      entry.alive = true;
    });
    ws.on("close", (code, reason) => {
      this.sockets.delete(ws);
      this.session.closed(entry.link, code, reason.toString());
    });
    ws.on("error", (err) =>
      this.logger.warn("agent socket error", { peer, host: entry.link.state.host || undefined, err: err.message }),
    );
  }

  private pingAll(): void {
    for (const [ws, s] of this.sockets) {
      if (s.link.state.state !== "open") continue;
      if (!s.alive) {
        this.logger.warn("agent missed heartbeats; dropping", { host: s.link.state.host });
        ws.terminate();
        continue;
      }
      s.alive = false;
      ws.ping();
    }
  }
}
