import { FIELD_LOG_SIGNATURES } from "./gateway-log-patterns-field.ts";
import { HOST_STATE_LOG_SIGNATURES } from "./gateway-log-patterns-host-state.ts";
import { RUNTIME_LOG_SIGNATURES } from "./gateway-log-patterns-runtime.ts";
import type { LogSignaturePattern } from "./log-signature-pattern.ts";

/**
 * Every gateway file-log pattern the agent matches, in one place: the signature catalog that
 * `logs.tail`, `service.state` and the classifier read (LOG_SIGNATURES), and the events the repro
 * bundle builds its timeline from (TIMELINE). Both match the text `parseLogLine` gives: tslog
 * JSON lines read as the console prints them (`[reload] config reload failed: …`), or plain text.
 * Sources: GATEWAY-FACTS §4–§7, the seeds' ladder, and the real 2026.9.6 lines in
 * test/unit/fixtures/openclaw/logs/.
 *
 * A line both catalogs look for is written once (LINE). Where the two read the same event
 * differently, both are kept on purpose:
 * - ready: the signature wants `[gateway] ready` / `[gateway] gateway ready` at the start of the
 *   line (it dates a stale failure, so a line that merely mentions "gateway ready" must not count,
 *   e.g. `Gateway failed to start: …; refusing to report the gateway ready.`); the timeline takes
 *   `gateway ready` anywhere, to catch plain-text journal lines, and closes a start on it.
 * - failed start: the timeline also ends a start on `refusing to report the gateway ready`.
 * - reload applied: the signature also takes `config reload applied` (no "hot").
 * - disconnects: the timeline's DISCONNECT is case-insensitive and wider (close codes, `gateway
 *   closed`, `disconnected`); the signatures keep the gateway's exact case.
 */

/** Lines both catalogs match the same way. */
export const LINE = {
  unauthorizedConn: /\bunauthorized conn=/,
  closedBeforeConnect: /\bclosed before connect\b/,
  handshakeTimeout: /\bhandshake timeout\b/,
  reloadFailed: /config reload failed/i,
  hotReloadApplied: /config hot reload applied/i,
  gatewayFailedToStart: /Gateway failed to start/i,
} as const;

/** One regex of alternatives: each part whole, with `flags` over all of them. */
function anyOf(flags: string, ...parts: (RegExp | string)[]): RegExp {
  return new RegExp(parts.map((p) => (typeof p === "string" ? p : p.source)).join("|"), flags);
}

// ---------------------------------------------------------------------------------------
// Signatures: counted per kind, with examples and reasons

/**
 * Signature lines of the gateway's file log. The file holds tslog JSON lines
 * (`{"0":"{\"subsystem\":\"gateway/reload\"}","1":"config reload failed: …","time":…}`) or, from
 * older builds and journals, plain text. `reload-applied`, `auth-reloaded` and `gateway-ready` are
 * not faults: they tell whether a failure is stale.
 */
export type { LogSignaturePattern };

export const LOG_SIGNATURES: readonly LogSignaturePattern[] = [
  { kind: "ws-unauthorized", pattern: LINE.unauthorizedConn, reason: /\breason=([\w.-]+)/ },
  { kind: "reload-failed", pattern: LINE.reloadFailed },
  { kind: "reload-applied", pattern: anyOf("i", LINE.hotReloadApplied, /config reload applied/) },
  // A live change of `gateway.auth` (`config hot reload applied (gateway.auth.token)`): which token
  // the gateway's clients must hold may have changed with it, as it does at a start. Not the
  // limiter's settings alone (`(gateway.auth.rateLimit)`, also taken live by 2026.9.6): they
  // change no credential, and the limiter keeps the failures it counted.
  { kind: "auth-reloaded", pattern: /config hot reload applied \([^)]*\bgateway\.auth\.(?!rateLimit\b)/i },
  { kind: "gateway-ready", pattern: /^\[gateway\] (?:gateway )?ready\b/ },
  { kind: "closed-before-connect", pattern: LINE.closedBeforeConnect, reason: /\bcode=(\d+)/ },
  // A browser client refused by gateway.controlUi.allowedOrigins: the close line carries the
  // Origin it came from (`closed before connect … origin=https://… code=1008 reason=origin not allowed …`).
  { kind: "origin-not-allowed", pattern: /\borigin not allowed\b/i, reason: /\borigin=(\S+)/ },
  { kind: "handshake-timeout", pattern: LINE.handshakeTimeout },
  { kind: "parse-error", pattern: /parse\/handle error/ },
  { kind: "port-in-use", pattern: /EADDRINUSE|another gateway instance is already listening/ },
  { kind: "refusing-to-bind", pattern: /refusing to bind gateway/i },
  // `Missing config. Run openclaw setup or set gateway.mode=local` is the no-config variant (exit 78).
  {
    kind: "start-blocked",
    pattern:
      /Gateway start blocked|existing config is missing gateway\.mode|Missing config\. Run `?openclaw setup`? or set gateway\.mode=local/i,
  },
  // Whole enough to carry the gateway's own advice (a state-database refusal runs past 400 characters).
  { kind: "start-failed", pattern: LINE.gatewayFailedToStart, maxChars: 900 },
  { kind: "anthropic-429-long-context", pattern: /\b429\b.*Extra usage is required for long context/i },
  { kind: "cron-disabled", pattern: /cron: scheduler disabled/i },
  { kind: "cron-tick-failed", pattern: /cron: timer tick failed/i },
  { kind: "heartbeat-skipped", pattern: /heartbeat skipped/i, reason: /\breason=([\w.-]+)/ },
  { kind: "chrome-cdp-failed", pattern: /Failed to start Chrome CDP/i },
  { kind: "remote-cdp-unreachable", pattern: /Remote CDP\b.*\bnot reachable/i },
  { kind: "browser-command-unknown", pattern: /unknown command ["'`]browser["'`]/i },
  { kind: "workspace-vanished", pattern: /WORKSPACE_VANISHED/ },
  ...HOST_STATE_LOG_SIGNATURES,
  ...FIELD_LOG_SIGNATURES,
  ...RUNTIME_LOG_SIGNATURES,
];

// ---------------------------------------------------------------------------------------
// Timeline: the repro bundle's starts, stops, closes, reloads and policy lines

export const TIMELINE = {
  /**
   * A gateway start as the file log shows it (real 2026.9.6 lines): `loading configuration…` on a
   * cold start, `shutdown budget at startup` and `http server listening (…)` on every start, then
   * `gateway ready`. A restart may log no `loading configuration` at all.
   */
  startBegin: /\bloading configuration\b|\bshutdown budget at startup\b|\bhttp server listening\b/,
  startReady: /\bgateway ready\b|\[gateway\] ready\b/,
  startFailed: anyOf("i", LINE.gatewayFailedToStart, /refusing to report the gateway ready/),
  stop: /received SIGTERM|received SIGINT|shutdown\] completed|\bshutting down\b/,
  disconnect: anyOf(
    "i",
    LINE.closedBeforeConnect,
    LINE.unauthorizedConn,
    LINE.handshakeTimeout,
    /\bgateway closed\b|\bclosed\s*\(\d{4}\)|\bdisconnect(?:ed)?\b|\bws\b.*\bclose[d]?\b.*\bcode[=: ]\d{4}/,
  ),
  closeCode: /\bclosed?\s*\((\d{4})\)|\bcode[=: ](\d{4})\b/i,
  tokenRotation:
    /gateway auth changed|hot reload applied \(gateway\.auth\.(?:token|password)|token rotat|credential-replaced/i,
  reloadOk: LINE.hotReloadApplied,
  reloadFail: LINE.reloadFailed,
  policy:
    /dmPolicy|networkPolicy|\bpolicy[ =:_-]*(?:hit|block(?:ed)?|den(?:ied|y)|reject(?:ed)?|drop(?:ped)?|violation)|(?:blocked|denied|rejected|dropped) by (?:the )?policy|allowlist|denylist|\bdenied\b|FORBIDDEN|missing scope|not allowed|scope upgrade|pairing required/i,
  versionInStart: /\b(?:openclaw|version)[ =v]*(\d{4}\.\d+\.\d+)/i,
} as const;
