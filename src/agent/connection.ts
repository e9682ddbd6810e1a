import WebSocket from "ws";
import {
  AGENT_PROTOCOL_VERSION,
  AgentCloseCode,
  type AgentFrame,
  HubFrame,
  JobId,
  type JobResultFrame,
  type JobRunFrame,
  parseFrame,
} from "../contract/agent-wire.ts";
import type { StepResult } from "../contract/catalog.ts";
import { errorMessage } from "../contract/errors.ts";
import { type AgentIdentity, signHello } from "./identity.ts";
import { Liveness } from "./liveness.ts";
import type { AgentLogger } from "./log.ts";
import { releaseMemory } from "./memory.ts";
import type { ReadingsCarry } from "./probes/readings-carry.ts";
import { AgentWatch } from "./watch.ts";

/**
 * What the connection uses of its socket: `ws`'s client (the default), or an in-memory one in
 * tests (test/support/frame-pair.ts).
 */
export interface HubSocket {
  readonly readyState: number;
  send(data: string): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: "open" | "ping" | "pong", listener: () => void): this;
  on(event: "message", listener: (data: WebSocket.RawData, isBinary: boolean) => void): this;
  on(event: "close", listener: (code: number, reason: Buffer) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  once(event: "close", listener: (code: number, reason: Buffer) => void): this;
}

/**
 * The hub's frames are small JSON (a job.run of 32 steps is a few KB): 1 MiB is room enough and
 * bounds what a hostile or broken server can make the agent hold (`ws`'s default is 100 MiB).
 */
export const HUB_MAX_PAYLOAD = 1024 * 1024;
/** Neither `ws`'s server nor workerd fragments the hub's frames; a flood of fragments (empty ones too) is refused. */
const HUB_MAX_FRAGMENTS = 1024;
/**
 * The whole handshake, from the dial to the hub's welcome (the TCP and TLS connect, the HTTP
 * upgrade, the challenge and the signed hello), gets this long: the hub's own handshake deadline
 * (4408). `ws`'s `handshakeTimeout` alone is an idle timeout on the socket, restarted by every
 * byte, so a server dripping its upgrade answer kept the agent waiting for as long as it dripped
 * (issue 44, item 5); this bound does not move.
 */
export const HUB_HANDSHAKE_MS = 10_000;

/** How long the hub may stay silent: two heartbeats and a second (a ping a heartbeat, answered at once on a live link). */
export function silenceBudgetMs(heartbeatMs: number): number {
  return 2 * heartbeatMs + 1_000;
}

export interface JobRunner {
  /** `carry`: the watch's host readings between its probes (readings-carry.ts). */
  run(job: JobRunFrame, onResult: (r: StepResult) => void, opts?: { carry?: ReadingsCarry }): Promise<StepResult[]>;
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
  /** Opens the socket to the hub. Default: `ws`'s client; tests pass an in-memory one (test/support/frame-pair.ts). */
  dial?: (url: string) => HubSocket;
  /** A close that ends the agent's work for good (4403, revoked): called once, after the connection stopped. */
  onFinal?: (code: number, reason: string) => void;
  /** Called after each welcome (an agent on trial runs its probe then: src/agent/upgrade/). */
  onWelcome?: () => void;
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
  private ws: HubSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly outbox = new Map<string, JobResultFrame>();
  private readonly running = new Set<string>();
  private readonly opts: AgentConnectionOptions;
  private welcomed = false;
  private readonly watch: AgentWatch;
  private readonly liveness: Liveness;

  constructor(opts: AgentConnectionOptions) {
    this.opts = opts;
    this.watch = new AgentWatch({
      runner: opts.runner,
      logger: opts.logger,
      send: (frame) => {
        const ws = this.ws;
        if (!ws || !this.welcomed || ws.readyState !== WebSocket.OPEN) return false;
        this.send(ws, frame);
        return true;
      },
      busy: () => this.running.size > 0,
      ...(opts.watch?.overrideMs !== undefined ? { overrideMs: opts.watch.overrideMs } : {}),
    });
    this.liveness = new Liveness(
      () => {
        if (this.ws?.readyState === WebSocket.OPEN) this.ws.ping();
      },
      (silentMs) => {
        const ws = this.ws;
        if (!ws) return;
        this.opts.logger.warn("hub silent; dropping the connection and dialling again", { silentMs });
        // No close handshake: nothing comes back on this link. `close` (1006) follows and redials.
        ws.terminate();
      },
    );
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.clearHeartbeat();
    this.clearHandshake();
    this.liveness.stop();
    this.watch.stop();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
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
    const ws =
      this.opts.dial?.(this.url()) ??
      new WebSocket(this.url(), {
        handshakeTimeout: HUB_HANDSHAKE_MS,
        maxPayload: HUB_MAX_PAYLOAD,
        maxFragments: HUB_MAX_FRAGMENTS,
        // Not offered: the hub declines it anyway, and its zlib context would cost more than small JSON frames save.
        perMessageDeflate: false,
        followRedirects: false,
      });
    this.ws = ws;
    this.welcomed = false;
    this.clearHandshake();
    this.handshakeTimer = setTimeout(() => {
      if (this.ws !== ws || this.welcomed) return;
      logger.warn(
        `hub handshake not done within ${HUB_HANDSHAKE_MS / 1000} s; dropping the connection and dialling again`,
      );
      // `close` (1006) follows and redials, as for a silent link.
      ws.terminate();
    }, HUB_HANDSHAKE_MS);
    const heard = () => {
      if (this.ws === ws) this.liveness.heard();
    };
    ws.on("open", () => {
      if (this.ws === ws) this.liveness.heard();
    });
    ws.on("ping", heard);
    ws.on("pong", heard);
    ws.on("message", (data, isBinary) => {
      heard();
      if (isBinary) return this.protocolError(ws, "binary frame");
      this.onFrame(ws, data.toString());
    });
    ws.on("error", (err) => logger.warn("hub connection error", { err: err.message }));
    ws.on("close", (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.clearHeartbeat();
      this.clearHandshake();
      this.liveness.stop();
      this.watch.stop();
      this.ws = null;
      const reason = reasonBuf.toString();
      const explained = CLOSE_EXPLAINED[code];
      if (code === AgentCloseCode.revoked) {
        // Final: the hub refuses this key from now on, so dialling again would be refused forever.
        // Said once; the agent stays down until it is enrolled again (the install command restarts it).
        logger.error("hub closed the connection: this host's key was revoked; the agent stops connecting", {
          code,
          reason,
          hint: explained,
        });
        this.stopped = true;
        this.opts.onFinal?.(code, reason);
        return;
      }
      if (explained) logger.error("hub closed the connection", { code, reason, hint: explained });
      else logger.info("hub connection closed", { code, reason });
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

  private onFrame(ws: HubSocket, raw: string): void {
    const parsed = parseFrame(HubFrame, raw);
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
        this.clearHandshake();
        this.attempt = 0;
        this.opts.logger.info("connected to hub", { host: frame.host });
        this.clearHeartbeat();
        this.heartbeat = setInterval(
          () => this.send(ws, { type: "heartbeat", ts: Date.now(), gatewayVersion: this.opts.gatewayVersion() }),
          frame.heartbeatMs,
        );
        // From now on at the hub's pace: a ping a heartbeat, silence past two of them drops the link.
        this.liveness.start(frame.heartbeatMs, silenceBudgetMs(frame.heartbeatMs));
        // Results that finished while disconnected: deliver them now.
        for (const result of this.outbox.values()) this.send(ws, result);
        this.watch.start({
          ...(frame.watchIntervalMs !== undefined ? { intervalMs: frame.watchIntervalMs } : {}),
          ...(frame.watchDigestMs !== undefined ? { digestMs: frame.watchDigestMs } : {}),
        });
        this.opts.onWelcome?.();
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

  private send(ws: HubSocket, frame: AgentFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(frame));
  }

  private protocolError(ws: HubSocket, reason: string): void {
    this.opts.logger.error("hub sent a bad frame", { reason });
    ws.close(AgentCloseCode.policy, reason.slice(0, 120));
  }

  private clearHandshake(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
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
    const id = JobId.safeParse(frame.jobId);
    return id.success ? id.data : null;
  } catch {
    return null;
  }
}
