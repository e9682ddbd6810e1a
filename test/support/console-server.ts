import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { type Browser, chromium, type Page } from "playwright-core";
import { ConsoleChat } from "../../src/adapters/console/feed.ts";
import { createApp } from "../../src/adapters/http/app.ts";
import { type ConsoleAuth, LoginCodes } from "../../src/adapters/http/console-guard.ts";
import { ConsoleSessions } from "../../src/adapters/http/console-sessions.ts";
import type { StepName, StepResult } from "../../src/contract/catalog.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import { InProcessJobs } from "../../src/core/jobs/in-process.ts";
import type { Clock, Ids, Logger } from "../../src/core/ports/basics.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { capabilityOff } from "../../src/core/ports/deps.ts";
import { HOST_JOB_KINDS } from "../../src/core/router/host-jobs.ts";
import { CONSOLE_PAGE_HTML } from "../../src/node/console/page.ts";
import { loadOrCreateConsoleSecret } from "../../src/node/console/secret.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { healthyResults, tokenDriftData, toResults } from "./evidence.ts";
import type { FakeHostTransport, ScriptedResult } from "./fake-transport.ts";
import { InMemoryRecoveryStore } from "./memory-recovery-store.ts";

/**
 * The local console as `npm start` serves it (hono on @hono/node-server, SQLite, ConsoleChat),
 * with a FakeHostTransport instead of the agent hub. Listens on 127.0.0.1 only.
 */
export interface ConsoleServer {
  url: string;
  /** Holds the console secret, as `npm start`'s data folder does (for the CLI: CLAWOPS_DATA_DIR). */
  dataDir: string;
  /** A one-time URL that logs a browser in. */
  loginUrl(): string;
  /** The console secret as a bearer header, for requests made by hand. */
  headers: Record<string, string>;
  store: SqliteStore;
  chat: ConsoleChat;
  logs: string[];
  /** Every event-stream request as the server saw it (URL and Last-Event-ID header). */
  streams: { url: string; lastEventId: string | null }[];
  /** The app itself, without a socket: for requests no plain-HTTP socket can carry (an https URL). */
  fetch(req: Request): Promise<Response>;
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
  // The audit log (every command lands in it), as on Node; freezes and recovery run too.
  const recovery = {
    store: new InMemoryRecoveryStore(),
    authz: new Authorizer(),
    announceChannels: [],
    decisions: new DecisionBus(),
  };
  let url = "";
  const deps: CoreDeps = {
    store,
    transport,
    chat,
    clock,
    ids,
    logger,
    jobs: new InProcessJobs(HOST_JOB_KINDS),
    recovery,
    bundles: capabilityOff("the console test server keeps no bundles"),
    // The enroll reply's install command names it (set once the port is known).
    publicUrl: () => url,
  };
  const inFlight = new Set<Promise<void>>();
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-console-"));
  let allowedHosts: string[] = [];
  const auth: ConsoleAuth = {
    secret: loadOrCreateConsoleSecret(dataDir),
    allowedHosts: () => allowedHosts,
    logins: new LoginCodes(clock),
    sessions: new ConsoleSessions(clock),
  };
  const app = createApp({
    deps,
    console: { chat, channel: "console", page: CONSOLE_PAGE_HTML, auth },
    runLater: (task) => {
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
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    dataDir,
    loginUrl: () => `${url}/console/login?code=${auth.logins.issue()}`,
    headers: { authorization: `Bearer ${auth.secret}` },
    store,
    chat,
    logs,
    streams,
    fetch: async (req) => app.fetch(req),
    dropConnections() {
      if ("closeAllConnections" in server) server.closeAllConnections();
    },
    async close() {
      // SSE streams stay open until the client goes: cut them, then wait for jobs to settle.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * How long each probe took on a real 2026.9.6 gateway on a 2-core host (GATEWAY-FACTS §3), ms.
 * With token drift, `gateway.ws` waits out the 5 s auth penalty and `tokens` tries a second token.
 */
const DRIFT_MS: Partial<Record<StepName, number>> = {
  "gateway.http": 9,
  config: 4,
  "port.listeners": 31,
  versions: 1240,
  "gateway.ws": 5019,
  "gateway.status": 4870,
  tokens: 10_120,
  "models.status": 2200,
  "logs.signatures": 20,
  "doctor.lint": 9200,
};
const HEALTHY_MS: Partial<Record<StepName, number>> = {
  ...DRIFT_MS,
  "gateway.ws": 270,
  tokens: 310,
  "gateway.status": 2800,
};

/**
 * The step results of test/support/evidence.ts, each arriving after its real duration times
 * `scale` (probes run concurrently, so each arrives when it took), compressed by default so a
 * test sees several progress updates within about a second.
 */
function script(results: StepResult[], realMs: Partial<Record<StepName, number>>, scale: number): ScriptedResult[] {
  return results.map((result) => {
    const delayMs = Math.max(1, Math.round((realMs[result.step] ?? result.durationMs) * scale));
    return { result: { ...result, durationMs: delayMs }, delayMs };
  });
}

/**
 * Token drift as captured on a real gateway (GATEWAY-FACTS §6a): started with `--token` while the
 * config holds another; /healthz and /readyz stay 200, `gateway status` exits 0 with rpc.ok false,
 * and the WebSocket connect is refused with AUTH_TOKEN_MISMATCH and close 1008.
 */
export function tokenDriftScript(scale = 0.1): ScriptedResult[] {
  return script(toResults(tokenDriftData()), DRIFT_MS, scale);
}

/** A healthy 2026.9.6 gateway (GATEWAY-FACTS §3, captures/up): every probe answers as expected. */
export function healthyScript(scale = 0.1): ScriptedResult[] {
  return script(healthyResults(), HEALTHY_MS, scale);
}

/**
 * The system's headless Chromium (playwright-core never downloads a browser; launch() gives
 * every run a fresh temporary profile), with what it would reach the network for turned off
 * (updates, sync, QUIC probes).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CLAWOPS_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    headless: true,
  });
}

/**
 * A new page that records its script errors, console errors and any request to anything but
 * the loopback console (aborted: the page must need nothing else) in `errors`.
 */
export async function newConsolePage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const errors: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    errors.push(`external request: ${route.request().url()}`);
    return route.abort();
  });
  return { page, errors };
}

/** Logs the page in with a one-time URL and waits until its event stream is live. */
export async function openConsole(page: Page, loginUrl: string): Promise<void> {
  await page.goto(loginUrl);
  await page.waitForSelector('[data-testid="connection"][data-state="live"]');
}

/** The console test server for `transport`'s hosts and a browser, with one `close()` for both. */
export async function startConsoleBrowser(
  transport: FakeHostTransport,
  hosts?: string[],
): Promise<{ server: ConsoleServer; browser: Browser; close(): Promise<void> }> {
  const server = await startConsoleServer(transport, hosts);
  const browser = await launchChromium().catch(async (err) => {
    await server.close();
    throw err;
  });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
