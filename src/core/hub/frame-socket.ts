import type { HubFrame, JobResultFrame } from "../../contract/agent-wire.ts";

/**
 * One agent connection as the hub session sees it: frames go out, the connection can be
 * closed. Frames come in through `HubSession.receive`. A runtime adapts its socket to this
 * (src/node/agent-hub.ts for `ws`, src/worker/host/hibernating-socket.ts for a Durable
 * Object's hibernatable WebSocket; test/support/frame-pair.ts in memory).
 */
export interface FrameSocket {
  /** Sends one frame as JSON text. A socket that closed meanwhile drops it: its close event fails what was pending. */
  send(frame: HubFrame): void;
  /** Closes with a code of `AgentCloseCode` and a reason of at most 123 bytes (RFC 6455 §5.5). */
  close(code: number, reason: string): void;
  /**
   * Keeps the connection's state where it outlives this process's memory: a Durable Object
   * hibernates between frames and rebuilds its connections with `HubSession.restore`
   * (`serializeAttachment`, at most 2 KB). Absent: the state lives in memory only (Node).
   */
  save?(state: ConnectionState): void;
}

/**
 * Where a connection is in the protocol: `handshake` (challenge sent, waiting for the hello),
 * `verifying` (hello being checked: any other frame is refused), `open` (welcomed), `closed`
 * (closed by the hub or the peer: late frames are ignored).
 */
export type ConnectionPhase = "handshake" | "verifying" | "open" | "closed";

/** Per-connection state: plain JSON, so it fits in a hibernating socket's attachment. */
export interface ConnectionState {
  /** The host: routed by name before the hello (`pinned`), else named by the verified hello. "" until known. */
  host: string;
  /** The connection was routed to `host` before the handshake: the hello must name the same host. */
  pinned?: boolean;
  /** The challenge nonce this connection was issued: good for one hello. */
  nonce: string;
  state: ConnectionPhase;
  connectedAt: number;
  handshakeDeadline: number;
}

/**
 * Results that arrive for no pending job (the hub lost the job, e.g. a Durable Object reset,
 * and the agent re-sent its result on reconnect), kept for the job's re-run to pick up by id.
 * Synchronous: the Workers implementation is Durable Object SQLite.
 */
export interface EarlyResults {
  keep(frame: JobResultFrame, at: number): void;
  /** Removes and returns the result kept for this job, if any. */
  take(jobId: string): JobResultFrame | null;
}
