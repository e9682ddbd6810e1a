import WebSocket from "ws";
import type { WsError, WsOutcome } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { monotonicMs } from "../monotonic.ts";
import { type ErrorShape, GatewayFrame, HelloOk, type ResFrame } from "../schemas.ts";
import { errnoCode } from "./errors.ts";
import { pinnedOptions } from "./tls-pin.ts";

/**
 * A minimal client for the gateway's WebSocket protocol v4 (GATEWAY-FACTS §4): the server
 * speaks first (`connect.challenge`), the client answers with `connect`, the server replies
 * `hello-ok` or an error `res` and closes. After hello-ok, `req`/`res` matched by id.
 * It only reads: the agent connects as a token-only CLI client with `operator.read`.
 */

export const GATEWAY_PROTOCOL_VERSION = 4;

/**
 * The largest message the agent reads from the gateway. Its frames are small JSON: `hello-ok` is
 * 15–23 KB (GATEWAY-FACTS §4.1), an RPC answer a few KB; 2 MiB leaves room for a gateway with
 * thousands of cron jobs or sessions. The gateway's own limit (`policy.maxPayload`, 25 MiB) is
 * for what clients send it; `ws`'s default (100 MiB) would let a broken or hostile listener on
 * the gateway's port make the agent hold that much.
 */
export const GATEWAY_MAX_PAYLOAD = 2 * 1024 * 1024;
/** A gateway (`ws`'s server) sends each message as one frame; a listener that sends hundreds of fragments is refused. */
const GATEWAY_MAX_FRAGMENTS = 256;

export type ConnectOptions = {
  url: string;
  token: string | undefined;
  /** Budget for TCP + upgrade + challenge + connect answer. Failed auth is answered late (up to 5 s). */
  timeoutMs: number;
  signal?: AbortSignal;
  clientVersion: string;
  scopes?: string[];
  /** A `wss://` gateway's certificate pin (SHA-256), as its own clients use it (tls-pin.ts); absent: CA-verified. */
  tlsPinSha256?: string;
};

export type Handshake = {
  outcome: WsOutcome;
  challenged: boolean;
  handshakeMs?: number;
  error?: WsError;
  close?: { code: number; reason: string };
  upgradeStatus?: number;
  hello?: HelloOk;
  /** Open connection, only after hello-ok. The caller must close it. */
  connection?: GatewayConnection;
};

/**
 * How long one RPC may take (callers bound it further by their step's deadline). `health` and
 * `status` answer in a few ms on a healthy gateway (GATEWAY-FACTS §3.1), but the first calls
 * after a gateway start run cold: `config.get` took over 2.5 s beside a triage's CLI probes on 2
 * cores. The runbook's `sessions.delete` is slower still and gets the rest of its step.
 */
export const RPC_TIMEOUT_MS = 6_000;

/** A server that never sends the challenge still accepts an early connect (GATEWAY-FACTS §4.1). */
const CHALLENGE_WAIT_MS = 1_000;
/** After a rejecting `res`, the close frame follows within ~6 ms; wait briefly to record it. */
const CLOSE_AFTER_REJECT_MS = 750;

export function toWsError(error: ErrorShape | undefined, fallback: string): WsError {
  return {
    ...(error?.code ? { code: error.code } : {}),
    message: error?.message ?? fallback,
    ...(error?.details?.code ? { detailCode: error.details.code } : {}),
    ...(error?.details?.missingScope ? { missingScope: error.details.missingScope } : {}),
    ...(typeof error?.retryAfterMs === "number" ? { retryAfterMs: error.retryAfterMs } : {}),
  };
}

// Kept whole (issue 13): one handshake state machine whose handlers share its timers and flags in one closure.
export function connectGateway(options: ConnectOptions): Promise<Handshake> {
  const started = monotonicMs();
  return new Promise<Handshake>((resolve) => {
    const result: Handshake = { outcome: "error", challenged: false };
    const connectId = "clawops-connect";
    let settled = false;
    let connectSent = false;
    let challengeTimer: NodeJS.Timeout | undefined;
    let closeWait: NodeJS.Timeout | undefined;
    // No per-message deflate (offered by default): its zlib context is memory the probe's small frames never repay.
    const ws = new WebSocket(options.url, {
      handshakeTimeout: options.timeoutMs,
      maxPayload: GATEWAY_MAX_PAYLOAD,
      maxFragments: GATEWAY_MAX_FRAGMENTS,
      perMessageDeflate: false,
      followRedirects: false,
      ...(options.tlsPinSha256 && options.url.startsWith("wss:") ? pinnedOptions(options.tlsPinSha256) : {}),
    });

    const cleanup = () => {
      clearTimeout(deadline);
      clearTimeout(challengeTimer);
      clearTimeout(closeWait);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const settle = (keepOpen: boolean) => {
      if (settled) return;
      settled = true;
      cleanup();
      result.handshakeMs = Math.round(monotonicMs() - started);
      if (keepOpen) {
        result.connection = new GatewayConnection(ws);
      } else {
        ws.removeAllListeners("message");
        terminate(ws);
      }
      resolve(result);
    };
    const fail = (outcome: WsOutcome, error?: WsError) => {
      if (settled || result.outcome === "rejected") return;
      result.outcome = outcome;
      if (error) result.error = error;
      settle(false);
    };

    const deadline = setTimeout(
      () => fail("timeout", { message: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onAbort = () => fail("timeout", { message: "step deadline reached" });
    if (options.signal?.aborted) queueMicrotask(onAbort);
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    const sendConnect = () => {
      if (connectSent || ws.readyState !== WebSocket.OPEN) return;
      connectSent = true;
      clearTimeout(challengeTimer);
      ws.send(JSON.stringify(connectFrame(connectId, options)));
    };

    ws.on("unexpected-response", (_req, res) => {
      // Something answered HTTP on the port but is not a gateway (or refused the upgrade).
      result.upgradeStatus = res.statusCode;
      fail("upgrade-refused", { message: `Unexpected server response: ${res.statusCode}` });
    });
    ws.on("open", () => {
      challengeTimer = setTimeout(sendConnect, CHALLENGE_WAIT_MS);
    });
    ws.on("message", (data, isBinary) => {
      const frame = isBinary ? undefined : parseGatewayFrame(data.toString());
      if (!frame) return;
      if (frame.type === "event") {
        if (frame.event === "connect.challenge") {
          result.challenged = true;
          sendConnect();
        }
        return;
      }
      if (frame.id !== connectId || settled) return;
      const hello = frame.ok ? HelloOk.safeParse(frame.payload) : undefined;
      if (hello?.success) {
        result.outcome = "hello-ok";
        result.hello = hello.data;
        settle(true);
        return;
      }
      result.outcome = "rejected";
      result.error = frame.ok
        ? { message: "connect answered ok but without a hello-ok payload" }
        : toWsError(frame.error, "connect rejected");
      // The server closes right after a rejection; record its close code (1008, 1002 …).
      closeWait = setTimeout(() => settle(false), CLOSE_AFTER_REJECT_MS);
    });
    ws.on("close", (code, reason) => {
      if (settled) return;
      result.close = { code, reason: reason.toString() };
      if (result.outcome === "rejected") settle(false);
      // Closed before any answer. Close 1000 with an empty reason is NOT success: it is the
      // handshake timeout or a non-JSON frame (GATEWAY-FACTS §4.3, §7.5).
      else fail("closed", { message: `closed before hello-ok (${code}${reason.length ? ` ${reason}` : ""})` });
    });
    ws.on("error", (err) => {
      const code = errnoCode(err);
      const upgrade = /Unexpected server response: (\d+)/.exec(err.message);
      if (upgrade?.[1]) {
        result.upgradeStatus = Number(upgrade[1]);
        fail("upgrade-refused", { message: err.message });
      } else if (code === "ECONNREFUSED") fail("refused", { message: err.message });
      else if (/handshake has timed out/i.test(err.message)) fail("timeout", { message: err.message });
      else fail("error", { message: errorMessage(err) });
    });
  });
}

function connectFrame(id: string, options: ConnectOptions) {
  return {
    type: "req",
    id,
    method: "connect",
    params: {
      minProtocol: GATEWAY_PROTOCOL_VERSION,
      maxProtocol: GATEWAY_PROTOCOL_VERSION,
      // `cli`/`cli` keeps the requested scopes without a device identity; the `probe` mode the
      // CLI's own status uses gets none, so `status` would be FORBIDDEN (GATEWAY-FACTS §4.2).
      client: { id: "cli", version: options.clientVersion, platform: process.platform, mode: "cli" },
      role: "operator",
      scopes: options.scopes ?? ["operator.read"],
      caps: [],
      ...(options.token ? { auth: { token: options.token } } : {}),
      locale: "en-US",
      userAgent: `clawops-agent/${options.clientVersion}`,
    },
  };
}

function parseGatewayFrame(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = GatewayFrame.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

function terminate(ws: WebSocket): void {
  ws.on("error", () => {});
  if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.terminate();
}

export type RpcResult = { ok: true; payload: unknown } | { ok: false; error: WsError };

/** An authenticated connection: requests matched to responses by id; closing fails all pending. */
export class GatewayConnection {
  private readonly ws: WebSocket;
  private readonly pending = new Map<string, (res: RpcResult) => void>();
  private nextId = 1;
  /** Settles with the close code and reason when the gateway (or we) close the session. */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on("message", (data, isBinary) => {
      const frame = isBinary ? undefined : parseGatewayFrame(data.toString());
      if (frame?.type !== "res") return;
      this.pending.get(frame.id)?.(rpcResult(frame));
    });
    ws.on("close", (code, reason) => {
      for (const done of [...this.pending.values()]) {
        done({ ok: false, error: { message: `connection closed (${code}${reason.length ? ` ${reason}` : ""})` } });
      }
    });
    ws.on("error", () => {});
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<RpcResult> {
    const id = `r${this.nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => finish({ ok: false, error: { message: `no answer to ${method} within ${timeoutMs} ms` } }),
        timeoutMs,
      );
      const finish = (res: RpcResult) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(res);
      };
      this.pending.set(id, finish);
      if (this.ws.readyState !== WebSocket.OPEN) {
        finish({ ok: false, error: { message: "connection is not open" } });
        return;
      }
      this.ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  /** Polite close (1000), then terminate if the server does not answer quickly. */
  close(timeoutMs = 500): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        terminate(this.ws);
        resolve();
      }, timeoutMs);
      this.ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000, "clawops probe done");
    });
  }
}

function rpcResult(frame: ResFrame): RpcResult {
  return frame.ok
    ? { ok: true, payload: frame.payload }
    : { ok: false, error: toWsError(frame.error, "request failed") };
}
