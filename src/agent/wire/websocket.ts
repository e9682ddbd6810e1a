import { isUtf8 } from "node:buffer";
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { type DialOptions, dial, HeadReader, type ResponseHead, requestHead } from "./http1.ts";

/**
 * The agent's WebSocket client (RFC 6455), for its two sockets: to the hub
 * (src/agent/connection.ts) and the gateway probe's (src/agent/probes/gateway-ws-client.ts).
 *
 * Why not `ws`, which the control plane and the tests use: its client needs `node:http` for the
 * upgrade, which costs a bare Node process about 10 MB resident (1.28×), the agent's whole
 * budget over bare Node (issue 17); in the agent, which loads most of what `node:http` does
 * anyway, dropping it saved 1.4 MB (docs/benchmarks.md). What the agent uses of a WebSocket
 * client is small: this file speaks that subset over `node:net` (`node:tls` for `wss://`) with
 * `ws`'s names and events, so the callers read as they did (open, message(data, isBinary),
 * close(code, reason), error, unexpected-response; send, close, terminate, readyState). Tested
 * against `ws`'s server, workerd's and a real OpenClaw gateway (test/unit/agent-websocket.test.ts,
 * the workerd and gateway projects).
 *
 * Like `ws` with `perMessageDeflate: false`: no extension and no subprotocol is offered, and a
 * server that answers with one is refused. Socket errors before the handshake completes are
 * `error` events; after it, the connection just closes (1006), as `ws` does.
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const EMPTY = Buffer.alloc(0);
/** `ws`'s wait for the server's close frame and TCP close after ours. */
const CLOSE_TIMEOUT_MS = 30_000;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export interface WireSocketEvents {
  open: [];
  message: [data: Buffer, isBinary: boolean];
  /** The close frame's code (1005: it had none; 1006: no close frame came) and reason. */
  close: [code: number, reason: Buffer];
  error: [err: Error];
  /** The server answered the upgrade with something else than 101: its status and headers. No `error` follows. */
  "unexpected-response": [res: ResponseHead];
}

export interface WireSocketOptions extends DialOptions {
  /** ms from the dial until the 101; past it: error `Opening handshake has timed out`, close 1006. */
  handshakeTimeout?: number;
  /** Largest message accepted (all its fragments); a larger one closes with 1009. Default 100 MiB, as `ws`. */
  maxPayload?: number;
}

/** A frame error as `ws` reports it: a message, the close code sent for it, and `ws`'s error code. */
export class WebSocketFrameError extends Error {
  readonly code: string;
  readonly closeCode: number;

  constructor(message: string, closeCode: number, code: string) {
    super(message);
    // `ws`'s classes: the UTF-8 errors are Errors, the others RangeErrors.
    this.name = closeCode === 1007 ? "Error" : "RangeError";
    this.code = code;
    this.closeCode = closeCode;
  }
}

interface FrameHead {
  fin: boolean;
  opcode: number;
  length: number;
}

export class WireSocket extends EventEmitter<WireSocketEvents> {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  private state = WireSocket.CONNECTING;
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString("base64");
  private readonly maxPayload: number;
  private readonly heads = new HeadReader();
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private errorEmitted = false;
  private closeEmitted = false;
  private closeFrameSent = false;
  private closeFrameReceived = false;
  private closeCode = 1006;
  private closeReason: Buffer = EMPTY;
  /** Set by a received close frame or a frame error: later bytes are not read. */
  private receiverDone = false;
  // Receive buffer: chunks as they came, `buffered` bytes in all.
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frame: FrameHead | null = null;
  // The message being assembled from fragments.
  private fragments: Buffer[] = [];
  private messageLength = 0;
  private messageOpcode = 0;

  constructor(address: string, opts: WireSocketOptions = {}) {
    super();
    const url = new URL(address);
    if (url.protocol !== "ws:" && url.protocol !== "wss:")
      throw new SyntaxError(`The URL's protocol must be one of "ws:" or "wss:"`);
    if (url.hash) throw new SyntaxError("The URL contains a fragment identifier");
    this.maxPayload = opts.maxPayload ?? 100 * 1024 * 1024;
    this.socket = dial(url, opts);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (err) => this.onSocketError(err));
    this.socket.on("end", () => {
      if (this.state === WireSocket.OPEN) this.state = WireSocket.CLOSING;
    });
    this.socket.on("close", () => this.onSocketClose());
    if (opts.handshakeTimeout)
      this.handshakeTimer = setTimeout(
        () => this.abortHandshake(new Error("Opening handshake has timed out")),
        opts.handshakeTimeout,
      );
    this.socket.write(
      requestHead("GET", url, {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": this.key,
      }),
    );
  }

  get readyState(): number {
    return this.state;
  }

  /** A text frame for a string, a binary one for a Buffer. Throws while connecting; dropped once closing, as `ws`. */
  send(data: string | Buffer): void {
    if (this.state === WireSocket.CONNECTING) throw new Error("WebSocket is not open: readyState 0 (CONNECTING)");
    if (this.state !== WireSocket.OPEN) return;
    const binary = typeof data !== "string";
    this.writeFrame(binary ? OP_BINARY : OP_TEXT, binary ? data : Buffer.from(data));
  }

  /**
   * Starts the closing handshake: a close frame, then the server's close frame and the end of
   * the TCP connection (or, after 30 s, the socket is destroyed). While connecting: the
   * handshake is aborted (error, then close 1006), as `ws` does. A reason longer than a close
   * frame may carry (123 bytes) is cut at a character boundary (`ws` throws instead).
   */
  close(code?: number, reason?: string): void {
    if (this.state === WireSocket.CLOSED) return;
    if (this.state === WireSocket.CONNECTING) {
      this.abortHandshake(new Error("WebSocket was closed before the connection was established"));
      return;
    }
    if (this.state === WireSocket.CLOSING) {
      if (this.closeFrameSent && (this.closeFrameReceived || this.receiverDone)) this.socket.end();
      return;
    }
    if (code !== undefined && code !== 1000 && !validCloseCode(code))
      throw new TypeError("First argument must be a valid error code number");
    this.state = WireSocket.CLOSING;
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Drops the connection without a close frame; `close` follows with 1006. */
  terminate(): void {
    if (this.state === WireSocket.CLOSED) return;
    if (this.state === WireSocket.CONNECTING) {
      this.abortHandshake(new Error("WebSocket was closed before the connection was established"));
      return;
    }
    this.state = WireSocket.CLOSING;
    this.socket.destroy();
  }

  private sendClose(code: number | undefined, reason: string | undefined): void {
    let payload = EMPTY;
    if (code !== undefined) {
      const text = Buffer.from(reason ?? "");
      const cut = utf8Prefix(text, 123);
      payload = Buffer.allocUnsafe(2 + cut.length);
      payload.writeUInt16BE(code, 0);
      cut.copy(payload, 2);
    }
    this.writeFrame(OP_CLOSE, payload);
    this.closeFrameSent = true;
    // The server has closed too (or we stopped reading): our side of TCP ends now.
    if (this.closeFrameReceived || this.receiverDone) this.socket.end();
  }

  /** One masked frame (RFC 6455 §5.3: a fresh mask per frame), header and payload in one write. */
  private writeFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const headerLength = 2 + lenBytes + 4;
    const frame = Buffer.allocUnsafe(headerLength + len);
    frame[0] = 0x80 | opcode;
    if (lenBytes === 0) frame[1] = 0x80 | len;
    else if (lenBytes === 2) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
      frame.writeUInt32BE(len >>> 0, 6);
    }
    const maskAt = 2 + lenBytes;
    randomFillSync(frame, maskAt, 4);
    for (let i = 0; i < len; i++) frame[headerLength + i] = (payload[i] ?? 0) ^ (frame[maskAt + (i & 3)] ?? 0);
    // The socket queues what the kernel does not take yet; the agent's frames are small JSON.
    this.socket.write(frame);
  }

  private onData(chunk: Buffer): void {
    if (this.state === WireSocket.CONNECTING) {
      let got: ReturnType<HeadReader["push"]>;
      try {
        got = this.heads.push(chunk);
      } catch (err) {
        this.abortHandshake(err as Error);
        return;
      }
      if (!got) return;
      if (!this.upgraded(got.head)) return;
      // Frames the server sent in the same packet as its 101.
      if (got.rest.length && !this.socket.destroyed) this.receive(got.rest);
      return;
    }
    if (!this.receiverDone) this.receive(chunk);
  }

  /** Checks the server's answer to the upgrade (RFC 6455 §4.2.2); true when the socket is open. */
  private upgraded(head: ResponseHead): boolean {
    clearTimeout(this.handshakeTimer);
    if (head.statusCode !== 101) {
      this.state = WireSocket.CLOSING;
      this.socket.destroy();
      if (this.listenerCount("unexpected-response") > 0) {
        // The caller was told; no error event as well (as `ws`).
        this.errorEmitted = true;
        this.emit("unexpected-response", head);
      } else this.emitError(new Error(`Unexpected server response: ${head.statusCode}`));
      return false;
    }
    const h = head.headers;
    const problem =
      h.upgrade?.toLowerCase() !== "websocket"
        ? "Invalid Upgrade header"
        : !(h.connection ?? "").split(",").some((t) => t.trim().toLowerCase() === "upgrade")
          ? "Invalid Connection header"
          : h["sec-websocket-accept"] !==
              createHash("sha1")
                .update(this.key + GUID)
                .digest("base64")
            ? "Invalid Sec-WebSocket-Accept header"
            : h["sec-websocket-protocol"] !== undefined
              ? "Server sent a subprotocol but none was requested"
              : h["sec-websocket-extensions"] !== undefined
                ? "Server sent a Sec-WebSocket-Extensions header but no extension was requested"
                : null;
    if (problem) {
      this.abortHandshake(new Error(problem));
      return false;
    }
    this.state = WireSocket.OPEN;
    this.socket.setNoDelay(true);
    this.emit("open");
    return true;
  }

  /** Frames from the buffered bytes, as many as are complete (RFC 6455 §5.2). */
  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.receiverDone && !this.socket.destroyed) {
      if (!this.frame) {
        if (this.buffered < 2) return;
        const [b0 = 0, b1 = 0] = this.peek(2);
        const len7 = b1 & 0x7f;
        const headerLength = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
        if (this.buffered < headerLength) return;
        const head = this.take(headerLength);
        const frame = this.frameHead(b0, b1, head);
        if (!frame) return;
        this.frame = frame;
      }
      if (this.buffered < this.frame.length) return;
      const { fin, opcode, length } = this.frame;
      this.frame = null;
      this.onFrame(fin, opcode, length ? this.take(length) : EMPTY);
    }
  }

  /** Validates a frame's header; null (and the connection failing) for a bad one. */
  private frameHead(b0: number, b1: number, head: Buffer): FrameHead | null {
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    // No extension was negotiated: every reserved bit must be clear.
    if (b0 & 0x30) return this.fail("RSV2 and RSV3 must be clear", 1002, "WS_ERR_UNEXPECTED_RSV_2_3");
    if (b0 & 0x40) return this.fail("RSV1 must be clear", 1002, "WS_ERR_UNEXPECTED_RSV_1");
    if (b1 & 0x80) return this.fail("MASK must be clear", 1002, "WS_ERR_UNEXPECTED_MASK");
    const control = opcode >= OP_CLOSE;
    if (control) {
      if (opcode > OP_PONG) return this.fail(`invalid opcode ${opcode}`, 1002, "WS_ERR_INVALID_OPCODE");
      if (!fin) return this.fail("FIN must be set", 1002, "WS_ERR_EXPECTED_FIN");
      if ((b1 & 0x7f) > 125)
        return this.fail(`invalid payload length ${b1 & 0x7f}`, 1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
    } else if (opcode === OP_CONTINUATION) {
      if (!this.messageOpcode) return this.fail("invalid opcode 0", 1002, "WS_ERR_INVALID_OPCODE");
    } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (this.messageOpcode) return this.fail(`invalid opcode ${opcode}`, 1002, "WS_ERR_INVALID_OPCODE");
    } else return this.fail(`invalid opcode ${opcode}`, 1002, "WS_ERR_INVALID_OPCODE");
    let length = b1 & 0x7f;
    if (length === 126) length = head.readUInt16BE(2);
    else if (length === 127) {
      const high = head.readUInt32BE(2);
      // Beyond what a JavaScript number holds exactly (2^53 - 1), as `ws`.
      if (high > 2 ** 21 - 1)
        return this.fail(
          "Unsupported WebSocket frame: payload length > 2^53 - 1",
          1009,
          "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
          false,
        );
      length = high * 2 ** 32 + head.readUInt32BE(6);
    }
    if (!control && this.messageLength + length > this.maxPayload)
      return this.fail("Max payload size exceeded", 1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", false);
    return { fin, opcode, length };
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_PING:
        // Answered with the same payload while open (RFC 6455 §5.5.2).
        if (this.state === WireSocket.OPEN) this.writeFrame(OP_PONG, payload);
        return;
      case OP_PONG:
        return;
      case OP_CLOSE:
        this.onCloseFrame(payload);
        return;
    }
    if (opcode !== OP_CONTINUATION) this.messageOpcode = opcode;
    if (payload.length) this.fragments.push(payload);
    this.messageLength += payload.length;
    if (!fin) return;
    const data = this.fragments.length === 1 ? (this.fragments[0] ?? EMPTY) : Buffer.concat(this.fragments);
    const binary = this.messageOpcode === OP_BINARY;
    this.fragments = [];
    this.messageLength = 0;
    this.messageOpcode = 0;
    if (!binary && !isUtf8(data)) {
      this.fail("invalid UTF-8 sequence", 1007, "WS_ERR_INVALID_UTF8");
      return;
    }
    this.emit("message", data, binary);
  }

  private onCloseFrame(payload: Buffer): void {
    let code = 1005;
    let reason = EMPTY;
    if (payload.length === 1)
      return void this.fail("invalid payload length 1", 1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code))
        return void this.fail(`invalid status code ${code}`, 1002, "WS_ERR_INVALID_CLOSE_CODE");
      reason = Buffer.from(payload.subarray(2));
      if (!isUtf8(reason)) return void this.fail("invalid UTF-8 sequence", 1007, "WS_ERR_INVALID_UTF8");
    }
    this.closeFrameReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.receiverDone = true;
    this.chunks = [];
    this.buffered = 0;
    if (this.state === WireSocket.OPEN) {
      // Echo the close (RFC 6455 §5.5.1), then end our side of TCP.
      this.state = WireSocket.CLOSING;
      this.sendClose(code === 1005 ? undefined : code, reason.toString());
      this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
      this.closeTimer.unref();
    } else if (this.closeFrameSent) this.socket.end();
  }

  /**
   * Fails the connection for a bad frame (RFC 6455 §7.1.7): a close frame with `closeCode`, no
   * more reading, and the error, worded as `ws` words it ("Invalid WebSocket frame: …" but for
   * the size errors, `prefixed` false).
   */
  private fail(message: string, closeCode: number, code: string, prefixed = true): null {
    const err = new WebSocketFrameError(prefixed ? `Invalid WebSocket frame: ${message}` : message, closeCode, code);
    this.receiverDone = true;
    this.chunks = [];
    this.buffered = 0;
    this.frame = null;
    this.close(closeCode);
    this.emitError(err);
    return null;
  }

  /** The first `n` buffered bytes, left in the buffer. */
  private peek(n: number): Buffer {
    const first = this.chunks[0] ?? EMPTY;
    return first.length >= n ? first : Buffer.concat(this.chunks).subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes (n ≤ buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0] ?? EMPTY;
    if (n === first.length) return this.chunks.shift() ?? EMPTY;
    if (n < first.length) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[0] ?? EMPTY;
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }

  /** Ends a connection that never opened: the error on the next tick (never inside the caller's close()), then close 1006. */
  private abortHandshake(err: Error): void {
    clearTimeout(this.handshakeTimer);
    this.state = WireSocket.CLOSING;
    this.socket.destroy();
    process.nextTick(() => this.emitError(err));
  }

  private onSocketError(err: Error): void {
    // Before the 101 the caller hears why (ECONNREFUSED, a certificate …); after it, the socket
    // error only ends the connection, with close 1006, as `ws` does.
    if (this.state === WireSocket.CONNECTING) this.abortHandshake(err);
    else {
      this.state = WireSocket.CLOSING;
      this.socket.destroy();
    }
  }

  private onSocketClose(): void {
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    if (this.state === WireSocket.CONNECTING) {
      // The server closed before answering the upgrade (Node's client calls it so).
      this.emitError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    }
    this.state = WireSocket.CLOSED;
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit("close", this.closeCode, this.closeReason);
  }

  private emitError(err: Error): void {
    if (this.errorEmitted) return;
    this.errorEmitted = true;
    this.emit("error", err);
  }
}

/** Close codes a frame may carry (RFC 6455 §7.4; 1004–1006 and 1015 are never sent), as `ws` checks them. */
function validCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}

/** The longest prefix of UTF-8 `text` of at most `max` bytes that does not split a character. */
function utf8Prefix(text: Buffer, max: number): Buffer {
  if (text.length <= max) return text;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the character cut in two.
  while (end > 0 && ((text[end] ?? 0) & 0xc0) === 0x80) end--;
  return text.subarray(0, end);
}
