import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet } from "../../src/agent/probes/gateway-http.ts";
import { get } from "../../src/agent/wire/http-get.ts";

/**
 * The agent's own HTTP GET (src/agent/wire/http-get.ts), which the `gateway.http` probe and the
 * restart's readiness poll use instead of `node:http`, against a real `node:http` server on
 * loopback: each way a body can be framed, the probe's body cap, and each way a request can fail,
 * checked as the probe reports it (the HttpCheck in a step result).
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const seen: IncomingMessage[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const route = routes.get(req.url ?? "");
    if (route) route(req, res);
    else res.writeHead(404, { "content-type": "text/plain" }).end("no such route");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  routes.set("/healthz", (_req, res) => {
    const body = JSON.stringify({ ok: true, status: "live" });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  });
  routes.set("/readyz-503", (_req, res) => {
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ ready: false, failing: ["x"] }));
  });
  // No Content-Length: node:http sends it chunked, one chunk per write, and trailers after.
  routes.set("/chunked", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", trailer: "x-checksum" });
    res.write('{"ready":');
    setTimeout(() => {
      res.write('true,"note":"in ');
      res.addTrailers({ "x-checksum": "abc" });
      res.end('three chunks"}');
    }, 10);
  });
  // Neither length nor chunks: the body ends with the connection.
  routes.set("/close-delimited", (_req, res) => {
    res.removeHeader("transfer-encoding");
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, { connection: "close" });
    res.write('{"until":');
    setTimeout(() => res.end('"eof"}'), 10);
  });
  routes.set("/html", (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end(`<html>${"<p>page</p>".repeat(30)}</html>`);
  });
  routes.set("/huge", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(1024 * 1024) });
    res.end("z".repeat(1024 * 1024));
  });
  routes.set("/empty", (_req, res) => res.writeHead(204).end());
  routes.set("/hang", () => {});
  routes.set("/cut", (req, res) => {
    res.writeHead(200, { "content-length": "100" });
    res.write('{"half":', () => req.socket.destroy());
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the gateway.http probe's GET", () => {
  it("a JSON body by Content-Length, asked for as JSON on a connection it closes", async () => {
    expect(await httpGet(`${base}/healthz`, 5_000)).toEqual({ status: 200, body: { ok: true, status: "live" } });
    const req = seen.at(-1);
    expect(req?.method).toBe("GET");
    expect(req?.headers.accept).toBe("application/json");
    expect(req?.headers.connection).toBe("close");
    expect(req?.headers.host).toBe(base.slice("http://".length));
  });

  it("a 503 keeps its status and body", async () => {
    expect(await httpGet(`${base}/readyz-503`, 5_000)).toEqual({
      status: 503,
      body: { ready: false, failing: ["x"] },
    });
  });

  it("a chunked body, trailers after it", async () => {
    expect(await httpGet(`${base}/chunked`, 5_000)).toEqual({
      status: 200,
      body: { ready: true, note: "in three chunks" },
    });
  });

  it("a body that ends with the connection", async () => {
    expect(await httpGet(`${base}/close-delimited`, 5_000)).toEqual({ status: 200, body: { until: "eof" } });
  });

  it("a page that is not JSON: its first 200 characters", async () => {
    const check = await httpGet(`${base}/html`, 5_000);
    expect(check.status).toBe(200);
    const page = `<html>${"<p>page</p>".repeat(30)}</html>`;
    expect(check.body).toBe(`${page.slice(0, 200)}…`);
  });

  it("a body past the cap is read no further than 64 KB", async () => {
    const res = await get(`${base}/huge`, { maxBodyBytes: 64 * 1024 });
    expect(res.statusCode).toBe(200);
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBe(64 * 1024);
    expect(await httpGet(`${base}/huge`, 5_000)).toEqual({ status: 200, body: `${"z".repeat(200)}…` });
  });

  it("204: no body", async () => {
    expect(await httpGet(`${base}/empty`, 5_000)).toEqual({ status: 204, body: "" });
  });

  it("a refused port: ECONNREFUSED, no status", async () => {
    const probe = createNetServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    expect(await httpGet(`http://127.0.0.1:${port}/healthz`, 5_000)).toEqual({ status: null, error: "ECONNREFUSED" });
  });

  it("no answer in time: the timeout, and the connection is closed", async () => {
    const before = seen.length;
    expect(await httpGet(`${base}/hang`, 300)).toEqual({ status: null, error: "timeout after 300 ms" });
    const req = seen[before];
    await expect.poll(() => req?.socket.destroyed).toBe(true);
  });

  it("the step's deadline: aborted, and the connection is closed", async () => {
    const before = seen.length;
    const deadline = new AbortController();
    const check = httpGet(`${base}/hang`, 10_000, deadline.signal);
    await expect.poll(() => seen.length).toBe(before + 1);
    deadline.abort();
    expect(await check).toEqual({ status: null, error: "step deadline reached" });
    await expect.poll(() => seen[before]?.socket.destroyed).toBe(true);
    const late = new AbortController();
    late.abort();
    expect(await httpGet(`${base}/healthz`, 10_000, late.signal)).toEqual({
      status: null,
      error: "step deadline reached",
    });
  });

  it("a connection cut inside the body: the status, and that it was aborted", async () => {
    expect(await httpGet(`${base}/cut`, 5_000)).toEqual({ status: 200, error: "aborted" });
  });
});

describe("the agent's HTTP/1.1 response parsing (a raw server)", () => {
  const raws: ReturnType<typeof createNetServer>[] = [];
  afterAll(async () => {
    await Promise.all(raws.map((raw) => new Promise((r) => raw.close(r))));
  });

  /** A TCP server that answers the request with these bytes. */
  async function rawAnswer(answer: (socket: Socket) => void): Promise<string> {
    const raw = createNetServer((socket) => {
      socket.once("data", () => answer(socket));
      socket.on("error", () => {});
    });
    raws.push(raw);
    raw.listen(0, "127.0.0.1");
    await once(raw, "listening");
    return `http://127.0.0.1:${(raw.address() as { port: number }).port}/healthz`;
  }

  it("a 100 Continue before the response is skipped", async () => {
    const url = await rawAnswer((s) =>
      s.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}'),
    );
    expect(await httpGet(url, 5_000)).toEqual({ status: 200, body: { ok: true } });
  });

  it("not HTTP: the parse error's code, as Node's client reports it", async () => {
    const url = await rawAnswer((s) => s.end("SSH-2.0-OpenSSH_9.6\r\n"));
    expect(await httpGet(url, 5_000)).toEqual({ status: null, error: "HPE_INVALID_CONSTANT" });
  });

  it("a server that closes without answering: ECONNRESET (socket hang up)", async () => {
    const url = await rawAnswer((s) => s.end());
    expect(await httpGet(url, 5_000)).toEqual({ status: null, error: "ECONNRESET" });
  });

  it("a bad chunk size", async () => {
    const url = await rawAnswer((s) =>
      s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n0\r\n\r\n"),
    );
    expect(await httpGet(url, 5_000)).toEqual({ status: null, error: "HPE_INVALID_CHUNK_SIZE" });
  });
});
