import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "../../src/core/app.ts";
import { ConsoleChat } from "../../src/core/console-feed.ts";
import type { Clock, Ids, Logger } from "../../src/core/ports.ts";
import type { StepResult } from "../../src/core/probes/catalog.ts";
import type { CoreDeps } from "../../src/core/service/deps.ts";
import { HostJobQueue } from "../../src/core/service/host-queue.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import type { FakeHostTransport, ScriptedResult } from "./fake-transport.ts";

/**
 * The local console as `npm start` serves it (hono on @hono/node-server, SQLite, ConsoleChat),
 * with a FakeHostTransport instead of the agent hub. Listens on 127.0.0.1 only.
 */
export interface ConsoleServer {
  url: string;
  store: SqliteStore;
  chat: ConsoleChat;
  logs: string[];
  /** Every event-stream request as the server saw it (URL and Last-Event-ID header). */
  streams: { url: string; lastEventId: string | null }[];
  /** Cuts every open HTTP connection (SSE streams included), as a network blip would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startConsoleServer(
  transport: FakeHostTransport,
  hosts: string[] = ["node-3"],
): Promise<ConsoleServer> {
  const clock: Clock = { now: () => Date.now() };
  const ids: Ids = { id: (prefix) => `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 20)}` };
  const logs: string[] = [];
  const streams: ConsoleServer["streams"] = [];
  const logger: Logger = {
    info: (m, f) => logs.push(`info ${m} ${JSON.stringify(f ?? {})}`),
    warn: (m, f) => logs.push(`warn ${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => logs.push(`error ${m} ${JSON.stringify(f ?? {})}`),
  };
  const store = new SqliteStore(":memory:");
  for (const name of hosts) {
    await store.insertHost({
      name,
      publicKey: "ZmFrZS1wdWJsaWMta2V5LWZvci10ZXN0cy0zMmJ5dGVzISE",
      enrolledAt: clock.now() - 86_400_000,
      revokedAt: null,
      agentVersion: "0.1.0",
      gatewayVersion: "2026.9.6",
      lastSeenAt: clock.now() - 4_000,
    });
  }
  const chat = new ConsoleChat(store, clock);
  const deps: CoreDeps = { store, transport, chat, clock, ids, logger, hostQueue: new HostJobQueue() };
  const inFlight = new Set<Promise<void>>();
  const app = createApp({
    deps,
    console: { chat, channel: "console" },
    runInBackground: (task) => {
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
  });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const fetch = (req: Request) => {
      if (new URL(req.url).pathname === "/api/console/events")
        streams.push({ url: req.url, lastEventId: req.headers.get("last-event-id") });
      return app.fetch(req);
    };
    const s = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    chat,
    logs,
    streams,
    dropConnections() {
      if ("closeAllConnections" in server) server.closeAllConnections();
    },
    async close() {
      // SSE streams stay open until the client goes: cut them, then wait for jobs to settle.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      store.close();
    },
  };
}

const WS_TOKEN_MISMATCH =
  "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)";

/**
 * Token drift as captured on a real 2026.9.6 gateway (GATEWAY-FACTS §6a, captures/ws/drift-wrong-token.jsonl):
 * the gateway runs with `--token` from its start arguments while the config holds another
 * token; /healthz and /readyz stay 200, `gateway status` exits 0 with rpc.ok false, and the
 * WebSocket connect is refused with AUTH_TOKEN_MISMATCH and close 1008 after the 5 s auth penalty.
 * Durations are the real ones times `scale` (probes run concurrently, so each arrives when it
 * took), compressed by default so a test sees several progress updates within about a second.
 */
export function tokenDriftScript(scale = 0.1): ScriptedResult[] {
  const at = (ms: number) => Math.max(1, Math.round(ms * scale));
  const results: [StepResult, number][] = [
    [
      {
        step: "gateway.http",
        status: "ok",
        durationMs: at(9),
        data: {
          baseUrl: "http://127.0.0.1:18789",
          healthz: { status: 200, body: { ok: true, status: "live" } },
          readyz: { status: 200, body: { ready: true, failing: [], uptimeMs: 336548 } },
        },
      },
      at(9),
    ],
    [
      {
        step: "config",
        status: "ok",
        durationMs: at(4),
        data: {
          path: "/root/.openclaw/openclaw.json",
          exists: true,
          mode: "local",
          bind: "loopback",
          port: 18789,
          portSource: "config",
          authMode: "token",
          tokenConfigured: true,
          workspace: { path: "/root/.openclaw/workspace", exists: true, isDirectory: true },
        },
      },
      at(4),
    ],
    [
      {
        step: "port.listeners",
        status: "ok",
        durationMs: at(31),
        data: {
          port: 18789,
          method: "proc-net-tcp",
          listeners: [{ pid: 28461, command: "openclaw-gatewa", user: "root", address: "127.0.0.1:18789" }],
          gatewayProcesses: [
            {
              pid: 28461,
              command: "openclaw-gatewa",
              user: "root",
              commandLine: "openclaw-gateway --port 18789 --token [REDACTED]",
            },
          ],
        },
      },
      at(31),
    ],
    [
      {
        step: "versions",
        status: "ok",
        durationMs: at(1240),
        data: {
          agent: "0.1.0",
          openclaw: "2026.9.6",
          openclawRaw: "OpenClaw 2026.9.6 (eb377ac)",
          os: "linux 6.1.0-31-amd64 x64",
          node: "v24.21.0",
        },
      },
      at(1240),
    ],
    [
      {
        step: "gateway.ws",
        status: "ok",
        durationMs: at(5019),
        data: {
          url: "ws://127.0.0.1:18789",
          outcome: "rejected",
          challenged: true,
          tokenSource: "config",
          error: { code: "INVALID_REQUEST", message: WS_TOKEN_MISMATCH, detailCode: "AUTH_TOKEN_MISMATCH" },
          close: { code: 1008, reason: WS_TOKEN_MISMATCH },
        },
      },
      at(5019),
    ],
    [
      {
        step: "gateway.status",
        status: "ok",
        durationMs: at(4870),
        data: {
          exitCode: 0,
          timedOut: false,
          json: {
            serviceLabel: "openclaw-gateway.service",
            serviceLoaded: true,
            runtimeStatus: "running",
            portStatus: "busy",
            rpcOk: false,
            rpcCapability: "unknown",
            connectFailureKind: "auth-rejected",
            connectFailureDetailCode: "AUTH_TOKEN_MISMATCH",
            rpcError: "unauthorized: gateway token mismatch (provide gateway auth token)",
            gatewayVersion: "2026.9.6",
          },
        },
      },
      at(4870),
    ],
    [
      {
        step: "tokens",
        status: "ok",
        durationMs: at(10_120),
        data: {
          sources: [
            {
              source: "config",
              where: "/root/.openclaw/openclaw.json",
              present: true,
              fingerprint: "sha256:3f9a1c2b7d10",
            },
            {
              source: "service-env",
              where: "/etc/systemd/system/openclaw-gateway.service",
              present: false,
              fingerprint: null,
            },
            { source: "process-argv", where: "pid 28461", present: true, fingerprint: "sha256:b71e04a9c5d2" },
          ],
          distinct: 2,
          accepted: {
            tested: [{ fingerprint: "sha256:3f9a1c2b7d10", result: "rejected", detailCode: "AUTH_TOKEN_MISMATCH" }],
            fingerprint: null,
          },
        },
      },
      at(10_120),
    ],
    [
      {
        step: "models.status",
        status: "ok",
        durationMs: at(2200),
        data: {
          exitCode: 0,
          timedOut: false,
          json: {
            defaultModel: "openai/gpt-6-astra",
            resolvedDefault: "openai/gpt-6-astra",
            fallbacks: [],
            missingProvidersInUse: [],
            modelRouteIssues: [],
            runtimeAuthRoutes: [{ provider: "openai", runtime: "codex", status: "ok" }],
          },
          configModelRefs: [],
          cliOnlyRoutes: [],
        },
      },
      at(2200),
    ],
    [
      {
        step: "logs.signatures",
        status: "ok",
        durationMs: at(20),
        data: {
          found: true,
          path: "/tmp/openclaw/openclaw-2026-11-22.log",
          tried: ["/tmp/openclaw/openclaw-2026-11-22.log", "/tmp/openclaw/openclaw-2026-11-21.log"],
          bytesRead: 129_851,
          linesScanned: 412,
          linesSkipped: 0,
          signatures: [
            {
              kind: "gateway-ready",
              count: 1,
              lastAt: "2026-11-22T06:16:31.912+00:00",
              examples: ["2026-11-22T06:16:31.912+00:00 [gateway] gateway ready"],
            },
          ],
        },
      },
      at(20),
    ],
    [
      {
        step: "doctor.lint",
        status: "ok",
        durationMs: at(9200),
        data: {
          exitCode: 1,
          timedOut: false,
          schemaVersion: 1,
          ok: false,
          checksRun: 35,
          findings: [
            {
              checkId: "core/doctor/node-hosting-preconditions",
              severity: "warning",
              message: "Gateway is only bound to loopback.",
              path: "gateway.bind",
            },
            {
              checkId: "core/doctor/security",
              severity: "warning",
              message: "WARNING: openclaw.json contains plaintext secret-bearing config fields.",
            },
          ],
        },
      },
      at(9200),
    ],
  ];
  return results.map(([result, delayMs]) => ({ result, delayMs }));
}

/** A healthy 2026.9.6 gateway (GATEWAY-FACTS §3, captures/up): every probe answers as expected. */
export function healthyScript(scale = 0.1): ScriptedResult[] {
  const at = (ms: number) => Math.max(1, Math.round(ms * scale));
  const drift = tokenDriftScript(scale);
  const keep = drift.filter((r) =>
    [
      "gateway.http",
      "config",
      "port.listeners",
      "versions",
      "models.status",
      "logs.signatures",
      "doctor.lint",
    ].includes(r.result.step),
  );
  const results: [StepResult, number][] = [
    [
      {
        step: "gateway.ws",
        status: "ok",
        durationMs: at(270),
        data: {
          url: "ws://127.0.0.1:18789",
          outcome: "hello-ok",
          challenged: true,
          handshakeMs: 268,
          tokenSource: "config",
          server: { version: "2026.9.6", protocol: 4, uptimeMs: 336548 },
          auth: { method: "token", role: "operator", scopes: ["operator.read"] },
          statusRpc: { ok: true },
          healthRpc: { ok: true, hotReloadStatus: "active", channels: {}, heartbeatSeconds: 1800 },
        },
      },
      at(270),
    ],
    [
      {
        step: "tokens",
        status: "ok",
        durationMs: at(310),
        data: {
          sources: [
            {
              source: "config",
              where: "/root/.openclaw/openclaw.json",
              present: true,
              fingerprint: "sha256:3f9a1c2b7d10",
            },
          ],
          distinct: 1,
          accepted: {
            tested: [{ fingerprint: "sha256:3f9a1c2b7d10", result: "accepted" }],
            fingerprint: "sha256:3f9a1c2b7d10",
          },
        },
      },
      at(310),
    ],
    [
      {
        step: "gateway.status",
        status: "ok",
        durationMs: at(2800),
        data: {
          exitCode: 0,
          timedOut: false,
          json: {
            serviceLabel: "openclaw-gateway.service",
            serviceLoaded: true,
            runtimeStatus: "running",
            portStatus: "busy",
            rpcOk: true,
            rpcCapability: "operator",
            gatewayVersion: "2026.9.6",
          },
        },
      },
      at(2800),
    ],
  ];
  return [...keep, ...results.map(([result, delayMs]) => ({ result, delayMs }))];
}
