import { z } from "zod";
import { defineStep, TimeoutArgs } from "../step.ts";
import { ChannelAccountActivity, ModelAuthExpiry } from "./field.ts";

/** The gateway as a client sees it: its WebSocket handshake and RPCs, its HTTP health endpoints. */

export const WsError = z.object({
  /** Top-level `error.code` of the failed `res`, e.g. INVALID_REQUEST, NOT_PAIRED, FORBIDDEN. */
  code: z.string().optional(),
  message: z.string(),
  /** `error.details.code`, e.g. AUTH_TOKEN_MISMATCH, PROTOCOL_MISMATCH, MISSING_SCOPE. */
  detailCode: z.string().optional(),
  missingScope: z.string().optional(),
  /** `error.retryAfterMs` of a refusal the gateway says is temporary (AUTH_RATE_LIMITED: the lockout left). */
  retryAfterMs: z.number().optional(),
});
export type WsError = z.infer<typeof WsError>;

export const WsOutcome = z.enum([
  "hello-ok", // handshake completed
  "rejected", // gateway answered connect with ok:false
  "closed", // socket closed before any answer to connect
  "refused", // TCP connection refused (nothing listening)
  "upgrade-refused", // something answered HTTP but refused the WebSocket upgrade
  "timeout", // no answer within the deadline
  "error", // any other socket error
]);
export type WsOutcome = z.infer<typeof WsOutcome>;

export const GatewayWsData = z.object({
  url: z.string(),
  outcome: WsOutcome,
  /** Did the server send `connect.challenge` (it speaks first, ~1 ms after open)? */
  challenged: z.boolean(),
  handshakeMs: z.number().optional(),
  /** Which token source was used for `connect` (never the token itself). */
  tokenSource: z.string().nullable(),
  error: WsError.optional(),
  close: z.object({ code: z.number(), reason: z.string() }).optional(),
  upgradeStatus: z.number().optional(),
  server: z
    .object({
      version: z.string().optional(),
      protocol: z.number().optional(),
      uptimeMs: z.number().optional(),
      appliedConfigHash: z.string().optional(),
    })
    .optional(),
  auth: z
    .object({ method: z.string().optional(), role: z.string().optional(), scopes: z.array(z.string()) })
    .optional(),
  /** Result of the `status` RPC (needs operator.read). */
  statusRpc: z.object({ ok: z.boolean(), error: WsError.optional() }).optional(),
  /** Summary of the `health` RPC (needs no scope). */
  healthRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      hotReloadStatus: z.string().optional(),
      channels: z
        .record(z.string(), z.object({ ok: z.boolean().optional(), summary: z.string().optional() }))
        .optional(),
      heartbeatSeconds: z.number().optional(),
      modelRuntimeDegraded: z.boolean().optional(),
    })
    .optional(),
  /** The scheduler, from `cron.status` and `cron.list` (operator.read): is it on, which enabled jobs last failed. */
  cronRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      enabled: z.boolean().optional(),
      jobs: z.number().optional(),
      nextWakeAtMs: z.number().nullable().optional(),
      /** Enabled jobs whose last run ended `error`, newest first, at most 10; errors cut to 300 characters. */
      failing: z
        .array(
          z.object({
            id: z.string(),
            name: z.string(),
            lastRunAtMs: z.number().optional(),
            lastError: z.string().optional(),
            consecutiveErrors: z.number().optional(),
          }),
        )
        .optional(),
      /**
       * Enabled jobs whose last run was skipped (`lastRunStatus: skipped`), newest first, at most
       * 10, with the reason the gateway stored (`lastRunError`). Absent from agents before issue 46.
       */
      skipped: z
        .array(
          z.object({
            id: z.string(),
            name: z.string(),
            lastRunAtMs: z.number().optional(),
            reason: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /**
   * `channels.status` without live probes (operator.read): each chat account as the gateway's
   * runtime sees it, with its own health verdict (`healthState`: healthy, not-running,
   * disconnected, stuck, busy, blocked, terminal-disconnect, ingress-unavailable, …).
   */
  channelsRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      accounts: z
        .array(
          z.object({
            channel: z.string(),
            accountId: z.string(),
            enabled: z.boolean().optional(),
            configured: z.boolean().optional(),
            running: z.boolean().optional(),
            connected: z.boolean().optional(),
            healthState: z.string().optional(),
            lastError: z.string().optional(),
            ...ChannelAccountActivity.shape,
          }),
        )
        .optional(),
    })
    .optional(),
  /**
   * `models.authStatus` (operator.read): the model providers the gateway holds credentials for
   * (API keys, auth profiles, config), each with its rolled-up status (`ok`, `static`,
   * `expiring`, `expired`, `missing`). A provider with no credentials at all is not listed.
   */
  modelsRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      providers: z.array(z.object({ provider: z.string(), status: z.string(), ...ModelAuthExpiry.shape })).optional(),
      /** `unavailable.code` when the gateway could not prepare the answer (still starting). */
      unavailable: z.string().optional(),
      /** The gateway's clock when it answered: expiries are read against it. */
      ts: z.number().optional(),
    })
    .optional(),
  /**
   * `sessions.list` with `activeOnly` (operator.read; OpenClaw 2026.9.6 sessions-read-*.mjs):
   * the sessions with running or queued work now (`status`, `hasActiveRun`), each with how long
   * since its last recorded progress (`lastActivityAt`, else `updatedAt`) by the gateway's clock
   * (`ts`). Absent from agents before issue 46.
   */
  sessionsRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      /** Sessions the gateway counts active (`totalCount`). */
      active: z.number().optional(),
      /** At most 10 of them, least recent progress first. */
      sessions: z
        .array(
          z.object({
            /**
             * The session key (`agent:<id>:<channel>:…`), e-mail addresses and long digit runs
             * (phone numbers, chat ids) masked. Not named `key`: the agent's redaction takes the
             * value of any field whose name ends in key or token.
             */
            session: z.string(),
            /** `status` of the row: running, queued (OpenClaw's session run states). */
            status: z.string(),
            hasActiveRun: z.boolean().optional(),
            /** Minutes since its last progress, cut to steps (0, 2, 5, 10, 30, 60, 180, 720, 1440). */
            idleMin: z.number().optional(),
            /** Minutes since its run started (`startedAt`), floored. */
            runningMin: z.number().optional(),
          }),
        )
        .optional(),
      ts: z.number().optional(),
    })
    .optional(),
  /**
   * `config.get` (operator.read): the gateway's own comparison of the config file on disk
   * (`configRevisionHash`, null when the file does not validate) with the config it runs
   * (`appliedConfigHash`), both HMACs under the installation's key, plus the file's validity.
   */
  configRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      fileHash: z.string().nullable().optional(),
      appliedHash: z.string().nullable().optional(),
      valid: z.boolean().optional(),
      /** Validation issues, `path: message`, at most 5, redacted. */
      issues: z.array(z.string()).optional(),
    })
    .optional(),
});
export type GatewayWsData = z.infer<typeof GatewayWsData>;

export const gatewayWs = defineStep({
  name: "gateway.ws",
  args: TimeoutArgs,
  result: GatewayWsData,
  // The gateway delays failed shared-secret auth up to 5 s on loopback (GATEWAY-FACTS §4.3).
  deadlineMs: 9_000,
});

export const HttpCheck = z.object({
  status: z.number().nullable(),
  /** Connection-level failure (ECONNREFUSED, timeout) when status is null. */
  error: z.string().optional(),
  body: z.unknown().optional(),
});
export const GatewayHttpData = z.object({
  baseUrl: z.string(),
  healthz: HttpCheck,
  readyz: HttpCheck,
});
export type GatewayHttpData = z.infer<typeof GatewayHttpData>;

export const gatewayHttp = defineStep({
  name: "gateway.http",
  args: TimeoutArgs,
  result: GatewayHttpData,
  deadlineMs: 3_000,
});
