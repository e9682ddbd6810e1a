import {
  AgentCloseCode,
  type AgentFrame,
  type HelloFrame,
  VERSION_PATTERN,
  type WatchDigestFrame,
  type WatchStateFrame,
} from "../../contract/agent-wire.ts";
import type { StepResult } from "../../contract/catalog.ts";
import type { Clock, Logger } from "../ports/basics.ts";
import type { Store } from "../ports/store.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../ports/transport.ts";
import { scrubDeep } from "../secret-scrub.ts";
import type { ConnectionState, EarlyResults, FrameSocket } from "./frame-socket.ts";
import { PendingJobs } from "./pending-jobs.ts";
import {
  closeReason,
  disconnectReason,
  newChallenge,
  outcomeOf,
  parseAgentFrame,
  readHello,
  verifyHello,
  welcomeFrame,
} from "./protocol.ts";

export interface HubSessionOptions {
  store: Pick<Store, "getHost" | "recordHostSeen">;
  clock: Clock;
  logger: Logger;
  /** How often the agent sends a heartbeat frame (told in the welcome). */
  heartbeatMs: number;
  /** A connection that has not been welcomed this long after it opened is closed (4408) by `sweep`. */
  handshakeTimeoutMs: number;
  /** Extra time after a job's deadline before it is declared timed out (network, classify). */
  deadlineGraceMs: number;
  /** Keeps results for no pending job, for a re-sent job to pick up. Absent: they are acked and dropped. */
  earlyResults?: EarlyResults;
  /** Called once a connection is welcomed (Workers: run the jobs queued for this host). */
  onOnline?: (host: string) => void | Promise<void>;
  /**
   * The watch (docs/watch.md): the interval and digest period told in the welcome, and where a
   * welcomed agent's watch frames and its going away are handed. Absent: the welcome says no
   * interval, so agents do not watch.
   */
  watch?: {
    intervalMs: number;
    digestMs: number;
    onFrame: (host: string, frame: WatchStateFrame | WatchDigestFrame) => void | Promise<void>;
    onGone?: (host: string, reason: string) => void | Promise<void>;
  };
}

/** One connection to an agent: its socket and its state. Made by `accept` or `restore`. */
export interface HubConnection {
  readonly socket: FrameSocket;
  readonly state: Readonly<ConnectionState>;
  /** For logs: where the connection came from. */
  readonly peer?: string;
}

interface Connection extends HubConnection {
  state: ConnectionState;
}

/**
 * The hub side of the agent protocol, written once for every runtime and free of any socket
 * API. A runtime's shell feeds it what happens on a connection (`accept`, `receive` a frame,
 * `closed`) and the passing of time (`sweep`); it answers through the connection's
 * `FrameSocket` (send a frame, close with a code, save the state) and the store.
 *
 * It speaks first with a nonce, checks the Ed25519 hello against the enrolled key, welcomes,
 * and runs jobs: `job.run` out, `job.progress`* and `job.result` in, `job.ack` back. Every
 * job ends exactly once (result, deadline, or its connection closing); a newer connection for
 * a host replaces the older one (4000) and fails what was pending on it.
 */
export class HubSession implements HostTransport {
  private readonly opts: HubSessionOptions;
  /** Connections not yet welcomed: `sweep` closes the late ones (one pass, no timer per socket). */
  private readonly handshaking = new Set<Connection>();
  /** The welcomed connection of each host. */
  private readonly online = new Map<string, Connection>();
  private readonly pending = new PendingJobs();
  /** Each connection's frames, scanned and handled one after another. */
  private readonly scrubbing = new WeakMap<Connection, Promise<void>>();

  constructor(opts: HubSessionOptions) {
    this.opts = opts;
  }

  /** A new connection: sends the challenge. `host` pins it to one host (routed by name before the hello). */
  accept(socket: FrameSocket, opts: { host?: string; peer?: string } = {}): HubConnection {
    const now = this.opts.clock.now();
    const challenge = newChallenge(now);
    const conn: Connection = {
      socket,
      peer: opts.peer,
      state: {
        host: opts.host ?? "",
        ...(opts.host !== undefined ? { pinned: true } : {}),
        nonce: challenge.nonce,
        state: "handshake",
        connectedAt: now,
        handshakeDeadline: now + this.opts.handshakeTimeoutMs,
      },
    };
    socket.save?.(conn.state);
    this.handshaking.add(conn);
    socket.send(challenge.frame);
    return conn;
  }

  /**
   * A connection this session's runtime kept while the session itself was gone (a Durable
   * Object woken from hibernation rebuilds one per socket from its saved state).
   */
  restore(socket: FrameSocket, state: ConnectionState, peer?: string): HubConnection {
    const conn: Connection = { socket, state: { ...state }, peer };
    if (state.state === "handshake" || state.state === "verifying") this.handshaking.add(conn);
    if (state.state === "open") {
      const current = this.online.get(state.host);
      if (!current || current.state.connectedAt <= state.connectedAt) this.online.set(state.host, conn);
    }
    return conn;
  }

  /** One frame from the agent: text JSON, or an ArrayBuffer for a binary frame (refused). */
  async receive(link: HubConnection, raw: string | ArrayBuffer): Promise<void> {
    const conn = link as Connection;
    const phase = conn.state.state;
    // Late frames on a connection already closed (its deadline, a refusal, a replacement).
    if (phase === "closed") return;
    if (phase === "handshake") return this.hello(conn, raw);
    const parsed = parseAgentFrame(raw);
    if (!parsed.ok) return this.refuse(conn, parsed.closeCode, parsed.reason);
    if (phase === "verifying") return this.refuse(conn, AgentCloseCode.policy, "frame before welcome");
    // The control plane's second scan (core/secret-scrub.ts) before anything reads a result
    // or a watch state: what an agent sends reaches Slack, tickets, logs and the database only
    // through here. Chained per connection, so a slow scan never reorders a host's frames.
    const frame = parsed.frame;
    const prior = this.scrubbing.get(conn) ?? Promise.resolve();
    const turn = prior.then(async () => {
      const clean =
        frame.type === "job.progress" ||
        frame.type === "job.result" ||
        frame.type === "watch.state" ||
        frame.type === "watch.digest"
          ? await scrubDeep(frame)
          : frame;
      await this.frame(conn, clean);
    });
    this.scrubbing.set(
      conn,
      turn.catch(() => {}),
    );
    await turn;
  }

  /**
   * The connection is gone (the peer closed it, it dropped, or the runtime saw an error).
   * If it was its host's welcomed connection, every pending job of that host ends `lost`
   * with `detail`, by default the close code and reason.
   */
  closed(link: HubConnection, code: number, reason: string, detail?: string): void {
    const conn = link as Connection;
    this.handshaking.delete(conn);
    if (conn.state.state !== "closed") this.update(conn, { state: "closed" });
    const host = conn.state.host;
    if (this.online.get(host) !== conn) return; // never welcomed, or replaced by a newer connection
    this.online.delete(host);
    this.opts.logger.warn("agent disconnected", { host, code, reason });
    this.pending.failHost(host, detail ?? disconnectReason(code, reason));
    this.watchGone(host, detail ?? disconnectReason(code, reason));
  }

  /** Closes connections past their handshake deadline (4408). Returns the next deadline, if any. */
  sweep(now: number): number | null {
    for (const conn of this.handshaking) {
      if (conn.state.handshakeDeadline > now) continue;
      this.handshaking.delete(conn);
      this.opts.logger.warn("agent handshake timed out", { peer: conn.peer, host: conn.state.host || undefined });
      this.update(conn, { state: "closed" });
      conn.socket.close(AgentCloseCode.handshakeTimeout, "handshake timeout");
    }
    return this.nextHandshakeDeadline();
  }

  /** When `sweep` next has something to close (a Durable Object sets its alarm to it). */
  nextHandshakeDeadline(): number | null {
    let next: number | null = null;
    for (const conn of this.handshaking) {
      if (next === null || conn.state.handshakeDeadline < next) next = conn.state.handshakeDeadline;
    }
    return next;
  }

  async isOnline(host: string): Promise<boolean> {
    return this.online.has(host);
  }

  onlineHosts(): string[] {
    return [...this.online.keys()];
  }

  /** The welcomed connection of a host, if any. */
  connection(host: string): HubConnection | null {
    return this.online.get(host) ?? null;
  }

  /** Jobs sent and not yet ended. */
  get pendingJobs(): number {
    return this.pending.size;
  }

  /**
   * Runs a job on the host's agent. Resolves with the agent's result, `timeout` at the
   * deadline (plus grace) with what streamed in, or `lost` when the connection closes.
   * A result the agent already delivered for this job id (`earlyResults`) answers at once.
   */
  dispatch(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome> {
    const early = this.opts.earlyResults?.take(job.jobId);
    if (early) return Promise.resolve(outcomeOf(early));
    const conn = this.online.get(host);
    if (!conn) return Promise.resolve({ status: "lost", reason: "agent not connected", results: [], offline: true });
    const { logger } = this.opts;
    const outcome = new Promise<JobOutcome>((resolve) => {
      const timer = setTimeout(() => {
        const got = this.pending.timeout(job.jobId);
        logger.warn("job deadline passed", { job: job.jobId, host, got: got ?? 0 });
      }, job.deadlineMs + this.opts.deadlineGraceMs);
      this.pending.add(job.jobId, {
        host,
        // The caller's callback may be a remote stub (Workers RPC): its failure is logged, never thrown into frame handling.
        onProgress: (r) => {
          try {
            Promise.resolve(onProgress(r)).catch((err) =>
              logger.warn("progress callback failed", { job: job.jobId, err: String(err) }),
            );
          } catch (err) {
            logger.warn("progress callback failed", { job: job.jobId, err: String(err) });
          }
        },
        resolve,
        cancel: () => clearTimeout(timer),
        ...(job.progress === false ? { quiet: true } : {}),
      });
    });
    conn.socket.send({
      type: "job.run",
      jobId: job.jobId,
      steps: job.steps,
      deadlineMs: job.deadlineMs,
      ...(job.progress === false ? { progress: false } : {}),
    });
    return outcome;
  }

  private async hello(conn: Connection, raw: string | ArrayBuffer): Promise<void> {
    const read = readHello(raw);
    if (!read.ok) return this.refuse(conn, read.closeCode, read.reason);
    const hello = read.hello;
    // Saved before the await: a second frame during verification is refused, even after a wake.
    this.update(conn, { state: "verifying" });
    let verdict: Awaited<ReturnType<typeof verifyHello>>;
    try {
      const pinned = conn.state.pinned ? conn.state.host : undefined;
      verdict = await verifyHello(this.opts.store, conn.state.nonce, hello, pinned);
    } catch (err) {
      this.opts.logger.error("agent hello not checked", { host: hello.host, err: String(err) });
      return this.refuse(conn, 1011, "the control plane could not check the hello; try again", hello.host);
    }
    if (!verdict.ok) return this.refuse(conn, verdict.closeCode, verdict.reason, hello.host);
    const host = verdict.host;
    await this.seen(host, {
      at: this.opts.clock.now(),
      agentVersion: hello.agentVersion,
      gatewayVersion: hello.gatewayVersion ?? null,
    });
    // Closed meanwhile (its deadline, or the peer went away): nothing to welcome.
    if (conn.state.state !== "verifying") return;
    this.welcome(conn, host, hello);
    await this.opts.onOnline?.(host);
  }

  private welcome(conn: Connection, host: string, hello: HelloFrame): void {
    this.handshaking.delete(conn);
    const old = this.online.get(host);
    this.update(conn, { host, state: "open" });
    this.online.set(host, conn);
    if (old && old !== conn) {
      this.update(old, { state: "closed" });
      old.socket.close(AgentCloseCode.replaced, "replaced by a newer connection");
      this.pending.failHost(host, "agent reconnected on a new connection");
    }
    conn.socket.send(welcomeFrame(host, this.opts.heartbeatMs, this.opts.watch));
    this.opts.logger.info("agent connected", { host, peer: conn.peer, agentVersion: hello.agentVersion });
  }

  private async frame(conn: Connection, frame: AgentFrame): Promise<void> {
    const host = conn.state.host;
    switch (frame.type) {
      case "hello":
        return this.refuse(conn, AgentCloseCode.policy, "hello after welcome");
      case "heartbeat":
        return this.seen(host, { at: this.opts.clock.now(), gatewayVersion: frame.gatewayVersion ?? null });
      case "job.progress":
        // Late progress for a finished or lost job is dropped.
        this.pending.progress(host, frame.jobId, frame.result);
        return;
      case "watch.state":
      case "watch.digest":
        // Awaited, so a Durable Object stays awake until it is handled; the watch keeps each host's frames in order.
        return this.watchFrame(host, frame);
      case "job.result": {
        const ended = this.pending.result(host, frame);
        // Ack even unknown jobs so the agent's outbox drains after a restart of the hub; not a
        // quick probe's result from an agent that keeps no copy of it (one write less per host).
        if (ended !== "quiet") conn.socket.send({ type: "job.ack", jobId: frame.jobId });
        if (ended === "other") {
          this.opts.logger.info("result for a job no longer pending", { host, job: frame.jobId });
          // A job sent before the hub was reset: kept for its re-run, where the runtime keeps them.
          this.opts.earlyResults?.keep(frame, this.opts.clock.now());
        }
        return;
      }
    }
  }

  private async watchFrame(host: string, frame: WatchStateFrame | WatchDigestFrame): Promise<void> {
    const watch = this.opts.watch;
    if (!watch) return; // a hub that asked for no watch ignores what an agent sends anyway
    try {
      await watch.onFrame(host, frame);
    } catch (err) {
      this.opts.logger.warn("watch frame not handled", { host, err: String(err) });
    }
  }

  private watchGone(host: string, reason: string): void {
    const gone = this.opts.watch?.onGone;
    if (!gone) return;
    void Promise.resolve(gone(host, reason)).catch((err) =>
      this.opts.logger.warn("watch: disconnect not recorded", { host, err: String(err) }),
    );
  }

  /** Records that the host was seen; a store failure is logged, never fatal to the connection. */
  private async seen(host: string, seen: { at: number; agentVersion?: string; gatewayVersion: string | null }) {
    // Versions reach Slack (`/openclaw hosts`, the triage footer): one that does not look like
    // a version is dropped here, at the edge, and said so in the log.
    const clean = (v: string | null | undefined) => {
      if (v === null || v === undefined || VERSION_PATTERN.test(v)) return v;
      this.opts.logger.warn("agent reported something that is not a version; not stored", { host });
      return null;
    };
    const agentVersion = clean(seen.agentVersion);
    try {
      await this.opts.store.recordHostSeen(host, {
        at: seen.at,
        ...(agentVersion ? { agentVersion } : {}),
        gatewayVersion: clean(seen.gatewayVersion) ?? null,
      });
    } catch (err) {
      this.opts.logger.warn("host seen not recorded", { host, err: String(err) });
    }
  }

  private refuse(conn: Connection, code: number, reason: string, host?: string): void {
    this.opts.logger.warn("agent connection refused", {
      peer: conn.peer,
      host: host || conn.state.host || undefined,
      code,
      reason,
    });
    this.handshaking.delete(conn);
    // Still its host's connection until the close event: that fails what was pending, with the code.
    this.update(conn, { state: "closed" });
    conn.socket.close(code, closeReason(reason));
  }

  private update(conn: Connection, patch: Partial<ConnectionState>): void {
    conn.state = { ...conn.state, ...patch };
    conn.socket.save?.(conn.state);
  }
}
