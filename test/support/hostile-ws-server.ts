import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";

/**
 * A WebSocket server that misbehaves on purpose, for the agent's hub connection and gateway
 * probe: it answers the upgrade by hand over `node:net` (RFC 6455 §4.2.2), then writes whatever
 * frames a test scripts, bytes a real server (`ws`, workerd) would never send, and reads the
 * client's masked frames. Loopback only; `close()` destroys every socket it accepted.
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One unmasked server frame: FIN, opcode, payload. */
export function frame(opcode: number, payload: Buffer = Buffer.alloc(0), fin = true): Buffer {
  const len = payload.length;
  const head =
    len < 126 ? Buffer.from([0, len]) : len < 65536 ? Buffer.from([0, 126, len >> 8, len & 0xff]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    head.writeUInt32BE(len >>> 0, 6);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, payload]);
}

export const textFrame = (text: string) => frame(OP.text, Buffer.from(text));

export interface ClientFrame {
  opcode: number;
  payload: Buffer;
}

/** One accepted connection, upgraded. */
export class HostileConnection {
  readonly socket: Socket;
  readonly index: number;
  /** The path and query the client asked for. */
  readonly path: string;
  /** Frames the client sent, in order (unmasked). */
  readonly received: ClientFrame[] = [];
  closed = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly listeners: ((f: ClientFrame) => void)[] = [];

  constructor(socket: Socket, index: number, path: string, rest: Buffer) {
    this.socket = socket;
    this.index = index;
    this.path = path;
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    if (rest.length) this.read(rest);
  }

  /** Writes; false once the socket is gone or the kernel's buffer is full (the caller may wait for `drain`). */
  write(bytes: Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  sendText(text: string): void {
    this.write(textFrame(text));
  }

  onFrame(listener: (f: ClientFrame) => void): void {
    this.listeners.push(listener);
  }

  /** The next client frame that matches, within `timeoutMs`. */
  next(match: (f: ClientFrame) => boolean, timeoutMs = 10_000): Promise<ClientFrame> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching client frame in ${timeoutMs} ms`)), timeoutMs);
      this.onFrame((f) => {
        if (!match(f)) return;
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  /** Resolves once the socket is closed (by the client or a reset), or rejects after `timeoutMs`. */
  whenClosed(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const buf = this.pending;
      if (buf.length < 2) return;
      const b0 = buf[0] ?? 0;
      const b1 = buf[1] ?? 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const end = at + (masked ? 4 : 0) + len;
      if (buf.length < end) return;
      const payload = Buffer.from(buf.subarray(end - len, end));
      if (masked) {
        const mask = buf.subarray(at, at + 4);
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
      }
      this.pending = buf.subarray(end);
      const f = { opcode: b0 & 0x0f, payload };
      this.received.push(f);
      for (const l of [...this.listeners]) l(f);
    }
  }
}

export interface HostileServer {
  /** `http://127.0.0.1:<port>`: what an agent's agent.json names as its server. */
  httpUrl: string;
  /** `ws://127.0.0.1:<port>`. */
  wsUrl: string;
  port: number;
  readonly connections: HostileConnection[];
  /** Resolves with the n-th connection (1-based) once it is upgraded. */
  connection(n: number, timeoutMs?: number): Promise<HostileConnection>;
  close(): Promise<void>;
}

/** Starts the server; `onConnection` scripts each upgraded connection. */
export async function startHostileServer(onConnection: (c: HostileConnection) => void): Promise<HostileServer> {
  const connections: HostileConnection[] = [];
  const sockets = new Set<Socket>();
  const waiters: (() => void)[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onHead);
      const text = head.subarray(0, end).toString("latin1");
      const path = text.split(" ")[1] ?? "/";
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(text)?.[1] ?? "";
      const accept = createHash("sha1")
        .update(key + GUID)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      const c = new HostileConnection(socket, connections.length + 1, path, head.subarray(end + 4));
      connections.push(c);
      onConnection(c);
      for (const w of waiters.splice(0)) w();
    };
    socket.on("data", onHead);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    connections,
    connection(n, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`connection #${n} did not come in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const c = connections[n - 1];
          if (!c) return void waiters.push(check);
          clearTimeout(timer);
          resolve(c);
        };
        check();
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A process's resident memory now, MB (Linux /proc). */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Samples `pid`'s RSS every `everyMs` until `stop()`; returns the highest seen, MB. */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => {
    rssMb(pid).then(
      (mb) => {
        if (mb > max) max = mb;
      },
      () => {},
    );
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
