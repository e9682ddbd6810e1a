import {
  AGENT_PROTOCOL_VERSION,
  AgentCloseCode,
  type AgentFrame,
  type HubFrame,
  type JobResultFrame,
  type JobRunFrame,
  parseFrame,
} from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import { errorMessage } from "../contract/errors.ts";
import * as generated from "./checks.generated.js";
import { check } from "./checks.ts";
import { type AgentIdentity, signHello } from "./identity.ts";
import type { AgentLogger } from "./log.ts";
import { releaseMemory } from "./memory.ts";
import { AgentWatch } from "./watch.ts";
import { WireSocket } from "./wire/websocket.ts";

const checkHubFrame = check<HubFrame>(generated.HubFrame);
const checkJobId = check<string>(generated.JobId);

export interface JobRunner {
  run(job: JobRunFrame, onResult: (r: StepResult) => void): Promise<StepResult[]>;
}

export interface AgentConnectionOptions {
  server: string;
  host: string;
  identity: AgentIdentity;
  agentVersion: string;
  gatewayVersion: () => string | null;
  runner: JobRunner;
  logger: AgentLogger;
  /** Reconnect backoff: full jitter between 0 and min(maxMs, baseMs·2^attempt). */
  backoff?: { baseMs: number; maxMs: number };
  /** Opens the socket to the hub. Default: the agent's own client (./wire/websocket.ts); tests pass an in-memory one (test/support/frame-pair.ts). */
  dial?: (url: string) => WireSocket;
  /**
   * The watch (docs/watch.md): `overrideMs` is this host's own interval (CLAWOPS_WATCH_INTERVAL_S),
   * overriding the one the welcome gives; absent, the welcome's (or the default 30 s).
   */
  watch?: { overrideMs?: number };
}

const CLOSE_EXPLAINED: Record<number, string> = {
  // Hubs before issue 15 sent 4404 for an unknown host; now 4401 covers both cases.
  [AgentCloseCode.unknownHost]: "the control plane does not know this host: enroll it again",
  [AgentCloseCode.badSignature]:
    "the control plane does not know this host or rejected its key: enroll it (again) to register a key",
  [AgentCloseCode.revoked]: "this host's key was revoked: re-enroll with a new code",
  [AgentCloseCode.replayedNonce]: "handshake nonce mismatch",
  [AgentCloseCode.replaced]: "another agent connected as this host",
};

/**
 * Dials out to the hub (hosts open no inbound port), proves identity, runs jobs, and keeps
 * finished results in an outbox until the hub acks them, resending after a reconnect.
 */
export class AgentConnection {
  private ws: WireSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly outbox = new Map<string, JobResultFrame>();
  private readonly running = new Set<string>();
  private readonly opts: AgentConnectionOptions;
  private welcomed = false;
  private readonly watch: AgentWatch;

  constructor(opts: AgentConnectionOptions) {
    this.opts = opts;
    this.watch = new AgentWatch({
      runner: opts.runner,
      logger: opts.logger,
      send: (frame) => {
        const ws = this.ws;
        if (!ws || !this.welcomed || ws.readyState !== WireSocket.OPEN) return false;
        this.send(ws, frame);
        return true;
      },
      busy: () => this.running.size > 0,
      ...(opts.watch?.overrideMs !== undefined ? { overrideMs: opts.watch.overrideMs } : {}),
    });
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.clearHeartbeat();
    this.watch.stop();
    const ws = this.ws;
    if (!ws || ws.readyState === WireSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000, "agent stopping");
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000).unref();
    });
  }

  private url(): string {
    const u = new URL(this.opts.server);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.pathname = `${u.pathname.replace(/\/+$/, "")}/agent/connect`;
    // Lets a router send the socket to this host's endpoint before the handshake (the
    // Workers runtime: one Durable Object per host). The signed hello still decides.
    u.searchParams.set("host", this.opts.host);
    return u.toString();
  }

  private connect(): void {
    const { logger } = this.opts;
    // No per-message deflate (the client offers none): the hub declines it anyway, frames are small JSON.
    const ws =
      this.opts.dial?.(this.url()) ?? new WireSocket(this.url(), { handshakeTimeout: 10_000, maxPayload: 1024 * 1024 });
    this.ws = ws;
    this.welcomed = false;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return this.protocolError(ws, "binary frame");
      this.onFrame(ws, data.toString());
    });
    ws.on("error", (err) => logger.warn("hub connection error", { err: err.message }));
    ws.on("close", (code, reasonBuf) => {
      this.clearHeartbeat();
      if (this.ws === ws) this.watch.stop();
      const reason = reasonBuf.toString();
      const explained = CLOSE_EXPLAINED[code];
      if (explained) logger.error("hub closed the connection", { code, reason, hint: explained });
      else logger.info("hub connection closed", { code, reason });
      if (this.ws === ws) this.ws = null;
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(this.attempt, 16));
    // Full jitter: after a control-plane restart a fleet must not reconnect in lockstep.
    const delay = Math.round(Math.random() * cap);
    this.attempt++;
    this.opts.logger.info("reconnecting", { inMs: delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onFrame(ws: WireSocket, raw: string): void {
    const parsed = parseFrame(checkHubFrame, raw);
    if (!parsed.ok) {
      // A job this agent will not run (a mutating step without its approval, an unknown
      // step, bad arguments) is refused at once with the reason, so the control plane fails
      // it now instead of waiting out its deadline; any other bad frame ends the connection.
      const jobId = unrunnableJobId(raw);
      if (jobId && this.welcomed) {
        this.opts.logger.warn("job refused: not a runnable job", { job: jobId, reason: parsed.reason });
        this.send(ws, {
          type: "job.result",
          jobId,
          status: "rejected",
          results: [],
          error: { code: "bad_job", message: `the agent refused this job: ${parsed.reason}`.slice(0, 500) },
        });
        return;
      }
      this.protocolError(ws, parsed.reason);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case "challenge": {
        if (frame.protocol !== AGENT_PROTOCOL_VERSION) {
          this.opts.logger.error("hub speaks another protocol version", {
            hub: frame.protocol,
            agent: AGENT_PROTOCOL_VERSION,
          });
        }
        this.send(ws, {
          type: "hello",
          protocol: AGENT_PROTOCOL_VERSION,
          host: this.opts.host,
          nonce: frame.nonce,
          signature: signHello(this.opts.identity, this.opts.host, frame.nonce),
          agentVersion: this.opts.agentVersion,
          gatewayVersion: this.opts.gatewayVersion(),
        });
        return;
      }
      case "welcome": {
        this.welcomed = true;
        this.attempt = 0;
        this.opts.logger.info("connected to hub", { host: frame.host });
        this.clearHeartbeat();
        this.heartbeat = setInterval(
          () => this.send(ws, { type: "heartbeat", ts: Date.now(), gatewayVersion: this.opts.gatewayVersion() }),
          frame.heartbeatMs,
        );
        // Results that finished while disconnected: deliver them now.
        for (const result of this.outbox.values()) this.send(ws, result);
        this.watch.start({
          ...(frame.watchIntervalMs !== undefined ? { intervalMs: frame.watchIntervalMs } : {}),
          ...(frame.watchDigestMs !== undefined ? { digestMs: frame.watchDigestMs } : {}),
        });
        return;
      }
      case "job.run":
        if (!this.welcomed) {
          this.protocolError(ws, "job before welcome");
          return;
        }
        void this.runJob(frame);
        return;
      case "job.ack":
        this.outbox.delete(frame.jobId);
        return;
    }
  }

  private async runJob(job: JobRunFrame): Promise<void> {
    const { logger } = this.opts;
    if (this.running.has(job.jobId) || this.outbox.has(job.jobId)) {
      // Job ids are idempotency keys: a re-sent job gets the result it already has.
      const done = this.outbox.get(job.jobId);
      if (done && this.ws) this.send(this.ws, done);
      return;
    }
    this.running.add(job.jobId);
    logger.info("job started", { job: job.jobId, steps: job.steps.map((s) => s.step).join(",") });
    let final: JobResultFrame;
    // `progress: false` (a quick probe): the result alone carries each step, once.
    const stream = job.progress !== false;
    try {
      const results = await this.opts.runner.run(job, (result) => {
        if (stream && this.ws) this.send(this.ws, { type: "job.progress", jobId: job.jobId, result });
      });
      final = { type: "job.result", jobId: job.jobId, status: "done", results };
    } catch (err) {
      final = {
        type: "job.result",
        jobId: job.jobId,
        status: "rejected",
        results: [],
        error: { code: "agent_error", message: errorMessage(err) },
      };
    }
    this.running.delete(job.jobId);
    // A quick probe's result is worth nothing late: sent once, not kept for a re-send (no ack comes).
    if (stream) this.outbox.set(job.jobId, final);
    logger.info("job finished", { job: job.jobId, status: final.status });
    if (this.ws) this.send(this.ws, final);
    releaseMemory();
  }

  private send(ws: WireSocket, frame: AgentFrame): void {
    if (ws.readyState !== WireSocket.OPEN) return;
    ws.send(JSON.stringify(frame));
  }

  private protocolError(ws: WireSocket, reason: string): void {
    this.opts.logger.error("hub sent a bad frame", { reason });
    ws.close(AgentCloseCode.policy, reason.slice(0, 120));
  }

  private clearHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

/** The id of a `job.run` frame that did not parse as a runnable job, or null for anything else. */
function unrunnableJobId(raw: string): string | null {
  try {
    const frame = JSON.parse(raw) as { type?: unknown; jobId?: unknown };
    if (frame.type !== "job.run") return null;
    const id = checkJobId.safeParse(frame.jobId);
    return id.success ? id.data : null;
  } catch {
    return null;
  }
}
