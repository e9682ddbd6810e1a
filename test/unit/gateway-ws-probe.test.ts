import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { probeGatewayWs } from "../../src/agent/probes/gateway-ws.ts";
import { JobReadings } from "../../src/agent/probes/job-readings.ts";
import type { ProbeRun } from "../../src/agent/probes/probe.ts";
import { freeLoopbackPort } from "../support/gateway/gateway.ts";

/**
 * The gateway.ws probe against stand-in servers on real `ws` sockets, for the outcomes a
 * healthy real gateway cannot produce on demand. Frames copied from GATEWAY-FACTS §4.
 */
const TOKEN = "stand-in-token-123";
let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawops-ws-"));
  await mkdir(join(dir, "state"));
  await writeFile(
    join(dir, "state", "openclaw.json"),
    JSON.stringify({ gateway: { auth: { mode: "token", token: TOKEN } } }),
  );
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Frame = { type: string; id?: string; method?: string; params?: Record<string, unknown> };

async function standIn(onFrame: (ws: WebSocket, frame: Frame) => void, opts: { challenge?: boolean } = {}) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  const received: Frame[] = [];
  wss.on("connection", (ws) => {
    if (opts.challenge !== false) {
      ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n-1", ts: Date.now() } }));
    }
    ws.on("message", (data) => {
      const text = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        ws.close(1000);
        return;
      }
      received.push(frame);
      onFrame(ws, frame);
    });
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { port: (wss.address() as AddressInfo).port, received };
}

function probe(port: number, timeoutMs?: number) {
  const ctx = resolveProbeContext(
    { HOME: dir, OPENCLAW_STATE_DIR: join(dir, "state") },
    { gatewayPortOverride: port, agentVersion: "9.9.9", serviceUnitDirs: [] },
  );
  const deadline = performance.now() + (timeoutMs ?? 5_000) + 500;
  const run: ProbeRun = {
    signal: new AbortController().signal,
    remainingMs: () => deadline - performance.now(),
    readings: new JobReadings(ctx),
  };
  return probeGatewayWs(ctx, timeoutMs === undefined ? {} : { timeoutMs }, run);
}

const helloOk = (id: string, scopes: string[]) => ({
  type: "res",
  id,
  ok: true,
  payload: {
    type: "hello-ok",
    protocol: 4,
    server: { version: "2026.9.6", connId: "c" },
    snapshot: { uptimeMs: 1234, appliedConfigHash: "hmac-sha256:v1:abc" },
    auth: { method: "token", role: "operator", scopes },
  },
});

describe("gateway.ws probe", () => {
  it("completes challenge → connect → hello-ok, then reads health and status", async () => {
    const server = await standIn((ws, f) => {
      if (f.method === "connect") ws.send(JSON.stringify(helloOk(f.id ?? "", ["operator.read"])));
      if (f.method === "health") {
        ws.send(
          JSON.stringify({
            type: "res",
            id: f.id,
            ok: true,
            payload: {
              ok: true,
              configReload: { hotReloadStatus: "active" },
              heartbeatSeconds: 1800,
              modelRuntime: { degraded: true },
              channels: {
                slack: { configured: true, healthState: "degraded", lastError: "socket closed" },
                irc: { enabled: false },
              },
            },
          }),
        );
      }
      if (f.method === "status") ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: {} }));
    });
    const data = await probe(server.port);
    expect(data).toMatchObject({
      url: `ws://127.0.0.1:${server.port}`,
      outcome: "hello-ok",
      challenged: true,
      tokenSource: "config",
      server: { version: "2026.9.6", protocol: 4, uptimeMs: 1234, appliedConfigHash: "hmac-sha256:v1:abc" },
      auth: { method: "token", role: "operator", scopes: ["operator.read"] },
      statusRpc: { ok: true },
      healthRpc: {
        ok: true,
        hotReloadStatus: "active",
        heartbeatSeconds: 1800,
        modelRuntimeDegraded: true,
        channels: { slack: { ok: false, summary: "degraded: socket closed" }, irc: { summary: "disabled" } },
      },
    });
    const connect = server.received[0];
    expect(connect).toMatchObject({
      type: "req",
      method: "connect",
      params: {
        minProtocol: 4,
        maxProtocol: 4,
        client: { id: "cli", mode: "cli", version: "9.9.9" },
        role: "operator",
        scopes: ["operator.read"],
        auth: { token: TOKEN },
      },
    });
  });

  it("reports a missing scope on status as data", async () => {
    const server = await standIn((ws, f) => {
      if (f.method === "connect") ws.send(JSON.stringify(helloOk(f.id ?? "", [])));
      else if (f.method === "health")
        ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: { ok: true } }));
      else {
        ws.send(
          JSON.stringify({
            type: "res",
            id: f.id,
            ok: false,
            error: {
              code: "FORBIDDEN",
              message: "missing scope: operator.read",
              details: { code: "MISSING_SCOPE", missingScope: "operator.read" },
            },
          }),
        );
      }
    });
    const data = await probe(server.port);
    expect(data.auth?.scopes).toEqual([]);
    expect(data.statusRpc).toEqual({
      ok: false,
      error: {
        code: "FORBIDDEN",
        message: "missing scope: operator.read",
        detailCode: "MISSING_SCOPE",
        missingScope: "operator.read",
      },
    });
  });

  it("records a rejected connect with its detail code and the close that follows", async () => {
    const reason = "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)";
    const server = await standIn((ws, f) => {
      ws.send(
        JSON.stringify({
          type: "res",
          id: f.id,
          ok: false,
          error: { code: "INVALID_REQUEST", message: reason, details: { code: "AUTH_TOKEN_MISMATCH" } },
        }),
      );
      ws.close(1008, reason);
    });
    const data = await probe(server.port);
    expect(data).toMatchObject({
      outcome: "rejected",
      error: { code: "INVALID_REQUEST", detailCode: "AUTH_TOKEN_MISMATCH", message: reason },
      close: { code: 1008, reason },
    });
  });

  it("never calls close 1000 with an empty reason before hello-ok a success (GATEWAY-FACTS §7.5)", async () => {
    const server = await standIn((ws) => ws.close(1000));
    const data = await probe(server.port);
    expect(data.outcome).toBe("closed");
    expect(data.close).toEqual({ code: 1000, reason: "" });
    expect(data.auth).toBeUndefined();
  });

  it("sends connect anyway when no challenge comes, and times out on silence", async () => {
    const server = await standIn(() => {}, { challenge: false });
    const data = await probe(server.port, 1_500);
    expect(data.outcome).toBe("timeout");
    expect(data.challenged).toBe(false);
    expect(server.received[0]?.method).toBe("connect");
  });

  it("calls a plain HTTP server on the port upgrade-refused, with its status", async () => {
    const http: Server = createServer((_req, res) => res.end("<html>control ui</html>"));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise((r) => http.close(() => r())));
    const data = await probe((http.address() as AddressInfo).port);
    expect(data).toMatchObject({ outcome: "upgrade-refused", upgradeStatus: 200 });
  });

  it("calls a closed port refused", async () => {
    const data = await probe(await freeLoopbackPort());
    expect(data.outcome).toBe("refused");
    expect(data.error?.message).toMatch(/ECONNREFUSED/);
  });
});
