import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { WireSocket } from "../../src/agent/wire/websocket.ts";
import { selfSignedCert } from "../support/tls-proxy.ts";

/**
 * The agent's own WebSocket client (src/agent/wire/websocket.ts) against a real `ws` server on
 * loopback: the upgrade, messages both ways, fragments, control frames, the closing handshake.
 * What a `ws` server never sends (a wrong Sec-WebSocket-Accept, a masked frame, reserved bits,
 * invalid UTF-8, a frame in the 101's packet) is written as raw bytes on the same connection's
 * socket, which the `upgrade` event hands over; the `ws` server still reads what the client sends
 * back (its close code). workerd's WebSocket and a real OpenClaw gateway are the other servers it
 * is tested against (test/workers, test/gateway).
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the server saw of one connection. */
interface Peer {
  ws: WebSocket;
  socket: Socket;
  req: IncomingMessage;
  messages: { data: Buffer; isBinary: boolean }[];
  pongs: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
}

type UpgradeMode =
  /** The `ws` server completes the upgrade. */
  | "ws"
  /** The test answers the upgrade itself on the raw socket. */
  | ((socket: Socket, key: string, req: IncomingMessage) => void);

let http: Server;
let wss: WebSocketServer;
let port: number;
let mode: UpgradeMode = "ws";
let peers: Peer[] = [];
const clients: WireSocket[] = [];
/** Every socket the server upgraded or answered by hand: the HTTP server no longer tracks them. */
const upgraded: Socket[] = [];

beforeAll(async () => {
  http = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({ noServer: true });
  http.on("upgrade", (req, socket: Socket, head) => {
    upgraded.push(socket);
    const key = String(req.headers["sec-websocket-key"]);
    if (mode !== "ws") return mode(socket, key, req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer: Peer = {
        ws,
        socket,
        req,
        messages: [],
        pongs: [],
        closed: new Promise((resolve) => ws.on("close", (code, r) => resolve({ code, reason: r.toString() }))),
      };
      ws.on("message", (data, isBinary) => peer.messages.push({ data: data as Buffer, isBinary }));
      ws.on("pong", (data) => peer.pongs.push(data));
      ws.on("error", () => {});
      peers.push(peer);
    });
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  port = (http.address() as { port: number }).port;
});

afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  for (const s of upgraded.splice(0)) s.destroy();
  peers = [];
  mode = "ws";
});

afterAll(async () => {
  wss.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

/** A client with every event recorded. */
function connect(path = "/", opts: ConstructorParameters<typeof WireSocket>[1] = {}, url = `ws://127.0.0.1:${port}`) {
  const ws = new WireSocket(`${url}${path}`, opts);
  clients.push(ws);
  const seen = {
    ws,
    opened: false,
    messages: [] as { data: Buffer; isBinary: boolean }[],
    errors: [] as Error[],
    closed: null as { code: number; reason: string } | null,
    closedAt: new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on("close", (code, reason) => {
        seen.closed = { code, reason: reason.toString() };
        resolve(seen.closed);
      }),
    ),
  };
  ws.on("open", () => {
    seen.opened = true;
  });
  ws.on("message", (data, isBinary) => seen.messages.push({ data, isBinary }));
  ws.on("error", (err) => seen.errors.push(err));
  return seen;
}

async function opened(c: ReturnType<typeof connect>): Promise<Peer> {
  await expect.poll(() => c.opened || c.closed).toBe(true);
  expect(c.errors).toEqual([]);
  await expect.poll(() => peers.length).toBeGreaterThan(0);
  return peers.at(-1) as Peer;
}

function accept(key: string): string {
  return createHash("sha1")
    .update(key + GUID)
    .digest("base64");
}

const switching = (key: string, extra = "") =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${extra}\r\n`;

/** An unmasked server frame, as raw bytes (RFC 6455 §5.2). */
function frame(b0: number, payload: Buffer, masked = false): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([b0, len])
      : len < 65536
        ? Buffer.from([b0, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([b0, 127]), Buffer.from(new BigUint64Array([BigInt(len)]).buffer).reverse()]);
  if (!masked) return Buffer.concat([head, payload]);
  head[1] = (head[1] ?? 0) | 0x80;
  return Buffer.concat([head, Buffer.from([0, 0, 0, 0]), payload]);
}

describe("the agent's WebSocket client against a ws server", () => {
  it("upgrades with the URL's path, query and host:port, offering no extension, and exchanges text", async () => {
    const c = connect("/agent/connect?host=node-1");
    const peer = await opened(c);
    expect(peer.req.url).toBe("/agent/connect?host=node-1");
    expect(peer.req.headers.host).toBe(`127.0.0.1:${port}`);
    expect(peer.req.headers["sec-websocket-extensions"]).toBeUndefined();
    expect(peer.req.headers["sec-websocket-protocol"]).toBeUndefined();
    expect(Buffer.from(String(peer.req.headers["sec-websocket-key"]), "base64")).toHaveLength(16);
    expect(c.ws.readyState).toBe(WireSocket.OPEN);

    c.ws.send('{"type":"hello","text":"grüß dich"}');
    peer.ws.send("ünïcödé from the server");
    await expect.poll(() => peer.messages.length).toBe(1);
    expect(peer.messages[0]).toEqual({ data: Buffer.from('{"type":"hello","text":"grüß dich"}'), isBinary: false });
    await expect.poll(() => c.messages.length).toBe(1);
    expect(c.messages[0]?.data.toString()).toBe("ünïcödé from the server");
    expect(c.messages[0]?.isBinary).toBe(false);
  });

  it("each connection gets a fresh key, and each frame a fresh mask", async () => {
    const a = connect();
    const pa = await opened(a);
    const b = connect();
    await expect.poll(() => peers.length).toBe(2);
    expect(pa.req.headers["sec-websocket-key"]).not.toBe(peers[1]?.req.headers["sec-websocket-key"]);
    // Two identical messages: the ws server unmasks both to the same text, but the bytes on the wire differ.
    const wire: Buffer[] = [];
    pa.socket.prependListener("data", (chunk: Buffer) => wire.push(chunk));
    a.ws.send("same text");
    await expect.poll(() => pa.messages.length).toBe(1);
    a.ws.send("same text");
    await expect.poll(() => pa.messages.length).toBe(2);
    expect(pa.messages.map((m) => m.data.toString())).toEqual(["same text", "same text"]);
    expect(wire).toHaveLength(2);
    expect(wire[0]?.[1]).toBe(0x80 | 9); // masked, 9 bytes
    expect(wire[0]?.subarray(2, 6).equals(wire[1]?.subarray(2, 6) ?? Buffer.alloc(0))).toBe(false);
    b.ws.terminate();
  });

  it("binary both ways, flagged as binary", async () => {
    const c = connect();
    const peer = await opened(c);
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    peer.ws.send(Buffer.from([9, 8, 7]));
    await expect.poll(() => peer.messages.length).toBe(1);
    expect(peer.messages[0]).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    await expect.poll(() => c.messages.length).toBe(1);
    expect(c.messages[0]).toEqual({ data: Buffer.from([9, 8, 7]), isBinary: true });
  });

  it("large messages: 300 B (16-bit length), 70 KB (64-bit length) both ways", async () => {
    const c = connect();
    const peer = await opened(c);
    const medium = "m".repeat(300);
    const large = `${"x".repeat(70 * 1024 - 2)}é`;
    c.ws.send(medium);
    c.ws.send(large);
    peer.ws.send(medium);
    peer.ws.send(large);
    await expect.poll(() => peer.messages.length).toBe(2);
    expect(peer.messages.map((m) => m.data.toString())).toEqual([medium, large]);
    await expect.poll(() => c.messages.length).toBe(2);
    expect(c.messages.map((m) => m.data.toString())).toEqual([medium, large]);
  });

  it("assembles a message the server sends in fragments, with a ping between them", async () => {
    const c = connect();
    const peer = await opened(c);
    peer.ws.send("frag", { fin: false });
    peer.ws.ping(Buffer.from("between"));
    peer.ws.send("men", { fin: false });
    peer.ws.send("ted ✓", { fin: true });
    peer.ws.send("next");
    await expect.poll(() => c.messages.length).toBe(2);
    expect(c.messages.map((m) => m.data.toString())).toEqual(["fragmented ✓", "next"]);
    await expect.poll(() => peer.pongs.length).toBe(1);
    expect(peer.pongs[0]?.toString()).toBe("between");
  });

  it("answers a ping with a pong carrying the same payload", async () => {
    const c = connect();
    const peer = await opened(c);
    peer.ws.ping(Buffer.from([1, 2, 3, 4, 5]));
    peer.ws.ping();
    await expect.poll(() => peer.pongs.length).toBe(2);
    expect(peer.pongs).toEqual([Buffer.from([1, 2, 3, 4, 5]), Buffer.alloc(0)]);
  });

  it("a close from the server: its code and reason, echoed back", async () => {
    const c = connect();
    const peer = await opened(c);
    peer.ws.close(4401, "unknown host");
    expect(await c.closedAt).toEqual({ code: 4401, reason: "unknown host" });
    expect(await peer.closed).toEqual({ code: 4401, reason: "unknown host" });
    expect(c.ws.readyState).toBe(WireSocket.CLOSED);
    expect(c.errors).toEqual([]);
  });

  it("a close from the client: the server sees the code and reason, the client its echo", async () => {
    const c = connect();
    const peer = await opened(c);
    c.ws.close(1000, "agent stopping");
    expect(c.ws.readyState).toBe(WireSocket.CLOSING);
    c.ws.send("dropped: the socket is closing");
    expect(await peer.closed).toEqual({ code: 1000, reason: "agent stopping" });
    expect(await c.closedAt).toEqual({ code: 1000, reason: "agent stopping" });
    expect(peer.messages).toEqual([]);
  });

  it("cuts a close reason to the 123 bytes a close frame holds, at a character boundary", async () => {
    const c = connect();
    const peer = await opened(c);
    c.ws.close(1008, "é".repeat(100));
    const closed = await peer.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe("é".repeat(61));
  });

  it("terminate drops the connection without a close frame: 1006 on both ends", async () => {
    const c = connect();
    const peer = await opened(c);
    c.ws.terminate();
    expect((await peer.closed).code).toBe(1006);
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors).toEqual([]);
  });

  it("a server that dies mid-frame: close 1006, no message", async () => {
    const c = connect();
    const peer = await opened(c);
    peer.socket.write(frame(0x81, Buffer.from("never complete")).subarray(0, 6), () => peer.socket.destroy());
    expect(await c.closedAt).toEqual({ code: 1006, reason: "" });
    expect(c.messages).toEqual([]);
  });

  it("a message over maxPayload: closes with 1009 and says why", async () => {
    const c = connect("/", { maxPayload: 1024 });
    const peer = await opened(c);
    peer.ws.send("a".repeat(1000));
    peer.ws.send("b".repeat(1025));
    expect((await peer.closed).code).toBe(1009);
    await c.closedAt;
    expect(c.messages.map((m) => m.data.length)).toEqual([1000]);
    expect(c.errors.map((e) => [e.message, (e as { code?: string }).code])).toEqual([
      ["Max payload size exceeded", "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"],
    ]);
  });

  it("counts all fragments of a message against maxPayload", async () => {
    const c = connect("/", { maxPayload: 1024 });
    const peer = await opened(c);
    peer.ws.send("a".repeat(600), { fin: false });
    peer.ws.send("a".repeat(600), { fin: true });
    expect((await peer.closed).code).toBe(1009);
    expect(c.messages).toEqual([]);
  });

  it("send before the upgrade completes throws, as ws does", () => {
    mode = () => {};
    const c = connect();
    expect(() => c.ws.send("early")).toThrow(/not open/);
  });
});

describe("the agent's WebSocket client refuses what RFC 6455 forbids", () => {
  async function rawServer(frames: Buffer): Promise<{ c: ReturnType<typeof connect>; peer: Peer }> {
    const c = connect();
    const peer = await opened(c);
    peer.socket.write(frames);
    return { c, peer };
  }

  it("a masked frame from the server: 1002", async () => {
    const { c, peer } = await rawServer(frame(0x81, Buffer.from("hi"), true));
    expect((await peer.closed).code).toBe(1002);
    expect(c.messages).toEqual([]);
    expect(c.errors[0]?.message).toBe("Invalid WebSocket frame: MASK must be clear");
    expect((await c.closedAt).code).toBe(1006);
  });

  it("reserved bits set (no extension was negotiated): 1002", async () => {
    const { c, peer } = await rawServer(frame(0xc1, Buffer.from("hi")));
    expect((await peer.closed).code).toBe(1002);
    expect(c.errors[0]?.message).toBe("Invalid WebSocket frame: RSV1 must be clear");
  });

  it("invalid UTF-8 in a text message: 1007", async () => {
    const { c, peer } = await rawServer(frame(0x81, Buffer.from([0xc3, 0x28])));
    expect((await peer.closed).code).toBe(1007);
    expect(c.messages).toEqual([]);
    expect(c.errors[0]?.message).toBe("Invalid WebSocket frame: invalid UTF-8 sequence");
  });

  it("a continuation with no message started, an unknown opcode, a fragmented ping: 1002 each", async () => {
    for (const bad of [frame(0x80, Buffer.from("x")), frame(0x83, Buffer.from("x")), frame(0x09, Buffer.from("x"))]) {
      const { c, peer } = await rawServer(bad);
      expect((await peer.closed).code).toBe(1002);
      expect(c.errors).toHaveLength(1);
      await c.closedAt;
      peers = [];
    }
  });

  it("a close frame with an invalid code: 1002", async () => {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(1005);
    const { c, peer } = await rawServer(frame(0x88, payload));
    expect((await peer.closed).code).toBe(1002);
    expect(c.errors[0]?.message).toBe("Invalid WebSocket frame: invalid status code 1005");
  });
});

describe("the agent's WebSocket client's handshake", () => {
  it("a refused upgrade (401): unexpected-response with the status and headers, then close 1006", async () => {
    const refusing = new WebSocketServer({
      noServer: true,
      verifyClient: (_info, cb) => cb(false, 401, "Unauthorized"),
    });
    mode = (socket, _key, req) => refusing.handleUpgrade(req, socket, Buffer.alloc(0), () => {});
    const ws = new WireSocket(`ws://127.0.0.1:${port}/`);
    clients.push(ws);
    const errors: Error[] = [];
    ws.on("error", (e) => errors.push(e));
    const [res] = await once(ws, "unexpected-response");
    expect(res.statusCode).toBe(401);
    expect(res.headers["content-type"]).toBe("text/html");
    expect((await once(ws, "close"))[0]).toBe(1006);
    expect(errors).toEqual([]);
    refusing.close();
  });

  it("a refused upgrade with no unexpected-response listener: the error says the status", async () => {
    mode = (socket) => socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    const c = connect();
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => e.message)).toEqual(["Unexpected server response: 403"]);
    expect(c.opened).toBe(false);
  });

  it("a 101 with a wrong Sec-WebSocket-Accept is not a WebSocket: error, close 1006, never open", async () => {
    mode = (socket) =>
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: c2VjcmV0\r\n\r\n",
      );
    const c = connect();
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => e.message)).toEqual(["Invalid Sec-WebSocket-Accept header"]);
    expect(c.opened).toBe(false);
  });

  it("a 101 without Upgrade: websocket, or with an extension never offered: refused", async () => {
    for (const [answer, message] of [
      [(key: string) => switching(key).replace("Upgrade: websocket\r\n", ""), "Invalid Upgrade header"],
      [
        (key: string) => switching(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
        "Server sent a Sec-WebSocket-Extensions header but no extension was requested",
      ],
    ] as const) {
      mode = (socket, key) => socket.write(answer(key));
      const c = connect();
      await c.closedAt;
      expect(c.errors.map((e) => e.message)).toEqual([message]);
      expect(c.opened).toBe(false);
    }
  });

  it("frames in the same packet as the 101 are not lost", async () => {
    mode = (socket, key) =>
      socket.write(
        Buffer.concat([
          Buffer.from(switching(key)),
          frame(0x81, Buffer.from("challenge")),
          frame(0x82, Buffer.from([1, 2])),
        ]),
      );
    const c = connect();
    await expect.poll(() => c.messages.length).toBe(2);
    expect(c.opened).toBe(true);
    expect(c.messages).toEqual([
      { data: Buffer.from("challenge"), isBinary: false },
      { data: Buffer.from([1, 2]), isBinary: true },
    ]);
  });

  it("a 101 head split across packets, the blank line too", async () => {
    mode = (socket, key) => {
      const head = Buffer.from(switching(key));
      socket.write(head.subarray(0, 20));
      setTimeout(() => socket.write(head.subarray(20, head.length - 1)), 20);
      setTimeout(
        () => socket.write(Buffer.concat([head.subarray(head.length - 1), frame(0x81, Buffer.from("ok"))])),
        40,
      );
    };
    const c = connect();
    await expect.poll(() => c.messages.length).toBe(1);
    expect(c.messages[0]?.data.toString()).toBe("ok");
  });

  it("no answer within handshakeTimeout: the timeout error, close 1006", async () => {
    mode = () => {};
    const c = connect("/", { handshakeTimeout: 200 });
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => e.message)).toEqual(["Opening handshake has timed out"]);
  });

  it("a server that hangs up before answering: socket hang up", async () => {
    mode = (socket) => socket.destroy();
    const c = connect();
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => [e.message, (e as { code?: string }).code])).toEqual([["socket hang up", "ECONNRESET"]]);
  });

  it("not an HTTP server at all: a parse error", async () => {
    mode = (socket) => socket.write("SSH-2.0-OpenSSH_9.6\r\n");
    const c = connect();
    await c.closedAt;
    expect(c.errors.map((e) => (e as { code?: string }).code)).toEqual(["HPE_INVALID_CONSTANT"]);
  });

  it("close() while connecting aborts: error, then close 1006, never inside the close() call", async () => {
    mode = () => {};
    const c = connect();
    c.ws.close(1000, "stop");
    expect(c.errors).toEqual([]);
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => e.message)).toEqual(["WebSocket was closed before the connection was established"]);
  });

  it("a refused port: ECONNREFUSED, close 1006", async () => {
    const closed: NetServer = createNetServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const free = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const c = connect("/", {}, `ws://127.0.0.1:${free}`);
    expect((await c.closedAt).code).toBe(1006);
    expect(c.errors.map((e) => (e as { code?: string }).code)).toEqual(["ECONNREFUSED"]);
  });

  it("refuses a URL that is not ws: or wss:", () => {
    expect(() => new WireSocket("http://127.0.0.1/")).toThrow(SyntaxError);
  });
});

describe("the agent's WebSocket client over wss://", () => {
  let dir: string;
  let cert: Buffer;
  let tlsServer: ReturnType<typeof createHttpsServer>;
  let secureWss: WebSocketServer;
  let securePort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "clawops-wss-"));
    const { keyFile, certFile } = await selfSignedCert(dir);
    cert = readFileSync(certFile);
    tlsServer = createHttpsServer({ key: readFileSync(keyFile), cert });
    secureWss = new WebSocketServer({ server: tlsServer });
    secureWss.on("connection", (ws, req) => {
      ws.on("message", (data) => ws.send(`echo ${data} via ${req.headers.host}`));
    });
    tlsServer.listen(0, "127.0.0.1");
    await once(tlsServer, "listening");
    securePort = (tlsServer.address() as { port: number }).port;
  });

  afterAll(async () => {
    secureWss.close();
    tlsServer.closeAllConnections();
    await new Promise((r) => tlsServer.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("talks to a ws server over https whose certificate the client trusts (by name and by address)", async () => {
    for (const host of ["localhost", "127.0.0.1"]) {
      const c = connect("/", { ca: cert }, `wss://${host}:${securePort}`);
      await expect.poll(() => c.opened || c.closed).toBe(true);
      c.ws.send("hello");
      await expect.poll(() => c.messages.length).toBe(1);
      expect(c.messages[0]?.data.toString()).toBe(`echo hello via ${host}:${securePort}`);
      c.ws.close(1000);
      expect((await c.closedAt).code).toBe(1000);
    }
  });

  it("refuses a certificate it does not trust", async () => {
    const c = connect("/", {}, `wss://127.0.0.1:${securePort}`);
    expect((await c.closedAt).code).toBe(1006);
    expect(c.opened).toBe(false);
    expect(c.errors.map((e) => (e as { code?: string }).code)).toEqual(["DEPTH_ZERO_SELF_SIGNED_CERT"]);
  });
});
