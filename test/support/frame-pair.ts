import { EventEmitter } from "node:events";
import type { HubSocket } from "../../src/agent/connection.ts";
import type { HubFrame } from "../../src/contract/agent-wire.ts";
import type { ConnectionState, FrameSocket } from "../../src/core/hub/frame-socket.ts";
import type { HubConnection, HubSession } from "../../src/core/hub/hub-session.ts";

/**
 * A linked pair of in-memory frame sockets, the model being the MCP SDK's
 * `InMemoryTransport.createLinkedPair()`: the hub end is a `FrameSocket` for `HubSession`,
 * the agent end behaves like the `ws` client `AgentConnection` dials (its `HubSocket`: message, pong, close and
 * error events, `readyState`, `send`, `ping`, `close`, `terminate`). Frames cross as JSON text, in
 * order, one microtask later; a close reaches both ends after the frames sent before it.
 * No sockets, no ports: the real agent code against the real hub session.
 */

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export interface WireEntry {
  from: "hub" | "agent";
  text: string;
}

class Link {
  state = OPEN;
  /** Every text frame sent on this connection, in order: the bytes a socket would carry. */
  readonly wire: WireEntry[] = [];
  closeCode: { code: number; reason: string } | null = null;
  readonly hub: InMemoryHubSocket;
  readonly agent: InMemoryAgentSocket;

  constructor() {
    this.hub = new InMemoryHubSocket(this);
    this.agent = new InMemoryAgentSocket(this);
  }

  deliver(from: "hub" | "agent", data: string | ArrayBuffer): void {
    if (this.state !== OPEN) return;
    if (typeof data === "string") this.wire.push({ from, text: data });
    queueMicrotask(() => {
      if (this.state === CLOSED) return;
      if (from === "hub") this.agent.emit("message", Buffer.from(data as string), false);
      else this.hub.onframe?.(data);
    });
  }

  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    queueMicrotask(() => this.finish(code, reason));
  }

  finish(code: number, reason: string): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.closeCode = { code, reason };
    this.agent.emit("close", code, Buffer.from(reason));
    this.hub.onclose?.(code, reason);
  }
}

/** The hub's end: what the agent sends arrives at `onframe`, the close at `onclose`. */
export class InMemoryHubSocket implements FrameSocket {
  onframe?: (raw: string | ArrayBuffer) => void;
  onclose?: (code: number, reason: string) => void;
  /** The state last saved, as a Durable Object's attachment would hold it (a copy). */
  saved: ConnectionState | null = null;
  private readonly link: Link;

  constructor(link: Link) {
    this.link = link;
  }

  get wire(): readonly WireEntry[] {
    return this.link.wire;
  }

  /** How the connection closed, once it has. */
  get closed(): { code: number; reason: string } | null {
    return this.link.closeCode;
  }

  send(frame: HubFrame): void {
    this.link.deliver("hub", JSON.stringify(frame));
  }

  close(code: number, reason: string): void {
    this.link.close(code, reason);
  }

  save(state: ConnectionState): void {
    this.saved = structuredClone(state);
  }
}

/** The agent's end, shaped like the agent's WebSocket client. */
export class InMemoryAgentSocket extends EventEmitter {
  private readonly link: Link;

  constructor(link: Link) {
    super();
    this.link = link;
  }

  get readyState(): number {
    return this.link.state;
  }

  /** A text frame, or a binary one (a Buffer or ArrayBuffer: the hub refuses those). */
  send(data: string | ArrayBuffer): void {
    this.link.deliver("agent", data);
  }

  close(code = 1000, reason = ""): void {
    this.link.close(code, reason);
  }

  /** Answered at once while open, as a live hub answers at the WebSocket level. */
  ping(): void {
    if (this.link.state !== OPEN) return;
    queueMicrotask(() => {
      if (this.link.state === OPEN) this.emit("pong");
    });
  }

  /** The connection drops without a close frame (a killed process, a vanished peer): 1006 on both ends. */
  terminate(): void {
    if (this.link.state === CLOSED) return;
    this.link.state = CLOSING;
    queueMicrotask(() => this.link.finish(1006, ""));
  }
}

export function createLinkedFramePair(): [hub: InMemoryHubSocket, agent: InMemoryAgentSocket] {
  const link = new Link();
  return [link.hub, link.agent];
}

/** Connects a pair's hub end to a session as a runtime's shell does: accept, frames in, close in. */
export function serveOnSession(
  session: HubSession,
  socket: InMemoryHubSocket,
  opts: { host?: string } = {},
): HubConnection {
  const conn = session.accept(socket, opts);
  socket.onframe = (raw) => void session.receive(conn, raw);
  socket.onclose = (code, reason) => session.closed(conn, code, reason);
  return conn;
}

export interface InMemoryDial {
  /** `AgentConnectionOptions.dial`: every (re)connect makes a new pair served on the session. */
  dial: (url: string) => HubSocket;
  /** Every connection dialled so far, oldest first. */
  readonly connections: { hub: InMemoryHubSocket; agent: InMemoryAgentSocket; conn: HubConnection }[];
  last(): { hub: InMemoryHubSocket; agent: InMemoryAgentSocket; conn: HubConnection };
}

/**
 * A dialler for `AgentConnection` that reaches `session` in memory. `pinned`: the connection
 * is routed by the `?host=` of the agent's URL before the hello, as the Worker does.
 */
export function inMemoryDial(session: HubSession, opts: { pinned?: boolean } = {}): InMemoryDial {
  const connections: InMemoryDial["connections"][number][] = [];
  return {
    connections,
    last() {
      const c = connections.at(-1);
      if (!c) throw new Error("the agent has not dialled yet");
      return c;
    },
    dial(url) {
      const [hub, agent] = createLinkedFramePair();
      const host = opts.pinned ? (new URL(url).searchParams.get("host") ?? undefined) : undefined;
      connections.push({ hub, agent, conn: serveOnSession(session, hub, host ? { host } : {}) });
      // The agent uses the events, readyState, send, ping, close and terminate of its client: all here.
      return agent as unknown as HubSocket;
    },
  };
}
