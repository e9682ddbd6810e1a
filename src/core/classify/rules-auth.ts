import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, newerThan, quoteSignature } from "./log-evidence.ts";
import { quoteWs } from "./ws-evidence.ts";

/**
 * Handshake refusals beyond the shared token, and close codes with their meaning. Detail codes
 * and close codes are the gateway's own (GATEWAY-FACTS §4.3 "Failure frames" and the list of
 * `ConnectErrorDetailCodes`). A plain DEVICE_IDENTITY_REQUIRED is not here: on a token gateway it
 * means "no token sent" (GATEWAY-FACTS §7.4), and `token-missing` owns it.
 */

const detail = (e: Evidence) => e["gateway.ws"]?.error?.detailCode ?? "";
/** Closed with `code` during the handshake, or during the probe's RPCs right after hello-ok. */
const closedWith = (e: Evidence, code: number) => {
  const ws = e["gateway.ws"];
  if (ws?.outcome === "closed" && ws.close?.code === code) return true;
  const rpcClose = new RegExp(`^connection closed \\(${code}\\b`);
  return [ws?.statusRpc?.error?.message, ws?.healthRpc?.error?.message].some((m) => !!m && rpcClose.test(m));
};
const healthzGreen = (e: Evidence) =>
  e["gateway.http"]?.healthz.status === 200 ? 'HTTP /healthz answered 200 {"status":"live"}' : null;

const rpcCloseLines = (e: Evidence) => {
  const ws = e["gateway.ws"];
  return [
    ws?.statusRpc?.error ? `status RPC → ${ws.statusRpc.error.message}` : null,
    ws?.healthRpc?.error ? `health RPC → ${ws.healthRpc.error.message}` : null,
  ].filter((l): l is string => l !== null);
};

export const AUTH_RULES: readonly Rule[] = [
  {
    id: "device-token-mismatch",
    layer: "auth",
    severity: "fail",
    confidence: "high",
    title: "The gateway rejects this client's device token",
    explanation:
      "The client presented a paired device token the gateway no longer accepts (AUTH_DEVICE_TOKEN_MISMATCH): the device " +
      "was re-paired elsewhere, its token rotated or revoked, or the client's state directory was restored from an old " +
      "copy. The shared gateway token is not the problem; re-pairing or rotating the device token is.",
    nextCommands: [
      "openclaw devices list",
      "openclaw devices rotate --device <id>   # or remove and pair again",
      "openclaw logs --follow   # reason=device_token_mismatch",
    ],
    falseGreen: healthzGreen,
    match: (e) => (detail(e) === "AUTH_DEVICE_TOKEN_MISMATCH" ? quoteWs(e) : null),
  },
  {
    id: "pairing-required",
    layer: "auth",
    severity: "fail",
    confidence: "high",
    title: "Device pairing (or a scope/role upgrade) waits for approval",
    explanation:
      "The gateway refused the connect with PAIRING_REQUIRED / NOT_PAIRED: this device is not paired yet, or it asked for " +
      "a role or scope it was not approved for ('scope upgrade pending approval'). Loopback clients are auto-approved, so " +
      "this is a remote client (or a proxy that makes a local one look remote). Approving the request fixes it.",
    nextCommands: ["openclaw devices list", "openclaw devices approve <requestId>", "openclaw status --all"],
    falseGreen: healthzGreen,
    match(e) {
      const ws = e["gateway.ws"];
      const d = detail(e);
      if (d === "PAIRING_REQUIRED" || (ws?.error?.code === "NOT_PAIRED" && d !== "DEVICE_IDENTITY_REQUIRED"))
        return quoteWs(e);
      return null;
    },
  },
  {
    id: "device-identity-required",
    layer: "auth",
    severity: "fail",
    confidence: "high",
    title: "The gateway requires a valid device identity from this client",
    explanation:
      "The connect carried no usable device identity where one is required (the Control UI over a non-secure origin, " +
      "CONTROL_UI_DEVICE_IDENTITY_REQUIRED) or the device signature did not verify (DEVICE_AUTH_*: nonce, signature, " +
      "expiry, device id or public key). Clock skew gives SIGNATURE_EXPIRED; a copied state directory gives DEVICE_ID_MISMATCH.",
    nextCommands: [
      "openclaw devices list",
      "check the client's clock (timedatectl) and that it uses its own state directory",
      "open the Control UI over https or http://127.0.0.1, not a LAN http:// address",
    ],
    match(e) {
      const d = detail(e);
      return d === "CONTROL_UI_DEVICE_IDENTITY_REQUIRED" || d.startsWith("DEVICE_AUTH_") ? quoteWs(e) : null;
    },
  },
  {
    id: "origin-not-allowed",
    layer: "policy",
    severity: "fail",
    confidence: "high",
    title: "Browser origin not allowed by gateway.controlUi.allowedOrigins",
    explanation:
      "A browser client (Control UI or a web app) connected from an Origin the gateway does not allow, so the handshake is " +
      "refused before auth. The gateway and its token are fine; the allowed origins list does not name the address the " +
      "browser used (a new hostname, port, or a reverse proxy). Seen in the handshake or in the log's refused connects " +
      "(the Origin is quoted), since the gateway's last start.",
    nextCommands: [
      "openclaw config get gateway.controlUi.allowedOrigins",
      "openclaw config set gateway.controlUi.allowedOrigins '[\"https://<host>\"]'",
      "openclaw logs --follow   # origin not allowed",
    ],
    falseGreen: healthzGreen,
    match(e) {
      const ws = e["gateway.ws"];
      if (detail(e) === "CONTROL_UI_ORIGIN_NOT_ALLOWED" || /origin not allowed/i.test(ws?.error?.message ?? ""))
        return quoteWs(e);
      if (ws?.close?.code === 1008 && /origin not allowed/i.test(ws.close.reason)) return quoteWs(e);
      // The agent is a CLI client (no Origin), so a refused browser shows in the log: the
      // gateway's `closed before connect … origin=… reason=origin not allowed` since its last start.
      if (newerThan(e, "origin-not-allowed", ["gateway-ready"]))
        return [...quoteSignature(e, "origin-not-allowed"), ...lastReadyLine(e)];
      return null;
    },
  },
  {
    id: "auth-rate-limited",
    layer: "auth",
    severity: "warn",
    confidence: "high",
    title: "Too many failed auth attempts: the gateway locked this address out, the right token included",
    explanation:
      "The gateway refused this connect with AUTH_RATE_LIMITED ('too many failed authentication attempts'), before " +
      "it checked the token: clawops' own token was not judged, so this is not token drift on this client. Some " +
      "client at the same address failed authentication often enough (10 times in 60 s by default) to lock the " +
      "address out for a while (5 minutes by default; gateway.auth.rateLimit). Every client from that address is " +
      "refused until it ends, including ones with the right token. Loopback is exempt unless " +
      "gateway.auth.rateLimit.exemptLoopback is false. The gateway's log names the clients that failed " +
      "('[ws] unauthorized … client=… reason=…'); fix or stop that client, or the lockout may start again. " +
      "A running gateway takes a change of gateway.auth.rateLimit live (no restart): exemptLoopback set back to " +
      "true lets loopback clients in at once.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep 'unauthorized'   # which client= and reason= kept failing",
      "openclaw config get gateway.auth.rateLimit",
      "wait the lockout out (retryAfterMs, below), then: openclaw gateway call status",
    ],
    // The HTTP probes do not take the token, so the limiter does not stop them.
    falseGreen: (e) => {
      const greens = [
        e["gateway.http"]?.healthz.status === 200 ? "/healthz 200" : null,
        e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null,
      ].filter(Boolean);
      return greens.length > 0 ? greens.join(", ") : null;
    },
    match(e) {
      if (detail(e) !== "AUTH_RATE_LIMITED") return null;
      const left = e["gateway.ws"]?.error?.retryAfterMs;
      return [
        ...quoteWs(e),
        ...(typeof left === "number" ? [`locked out for ${Math.ceil(left / 1000)} s more (retryAfterMs ${left})`] : []),
        // Who tripped it: the failures the gateway logged since its start, newest last.
        ...(newerThan(e, "ws-unauthorized", ["gateway-ready"]) ? quoteSignature(e, "ws-unauthorized", 2) : []),
      ];
    },
  },
  {
    id: "scope-mismatch",
    layer: "scope",
    severity: "fail",
    confidence: "high",
    title: "The client asked for scopes its credential does not grant",
    explanation:
      "The gateway refused the connect with AUTH_SCOPE_MISMATCH: the role or scopes requested are more than the device " +
      "token or pairing allows. Approve the scope upgrade or request fewer scopes.",
    nextCommands: ["openclaw devices list", "openclaw devices approve <requestId>"],
    match: (e) => (detail(e) === "AUTH_SCOPE_MISMATCH" ? quoteWs(e) : null),
  },
  {
    id: "close-4001-auth-changed",
    layer: "auth",
    severity: "warn",
    confidence: "high",
    title: "Closed 4001: the gateway's auth changed, sessions were invalidated",
    explanation:
      "Close 4001 'gateway auth changed' is sent to every open session when gateway.auth.token (or the auth mode) is " +
      "hot-applied (seen on OpenClaw 2026.9.6). The close is the gateway applying a new credential, not a crash; clients " +
      "must reconnect with the new credential, and a client still holding the old one is refused with AUTH_TOKEN_MISMATCH.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # [reload] config hot reload applied (gateway.auth.token)",
      "openclaw config get gateway.auth.token",
      "update every client's token source (service env, shell env, remote nodes)",
    ],
    match: (e) => (closedWith(e, 4001) ? [...quoteWs(e), ...rpcCloseLines(e)] : null),
  },
  {
    id: "close-1012-service-restart",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "Closed 1012: the gateway is restarting",
    explanation:
      "Close 1012 'service restart' is the gateway going down on purpose (SIGTERM, an in-process restart for a config " +
      "change, or the supervisor restarting it). A single one is normal; seen again and again it may be a restart loop.",
    nextCommands: ["openclaw gateway status", "openclaw logs --limit 200 --plain", "retry in ~10 s"],
    match: (e) => (closedWith(e, 1012) ? [...quoteWs(e), ...rpcCloseLines(e)] : null),
  },
  {
    id: "close-1008-policy",
    layer: "transport",
    severity: "fail",
    confidence: "medium",
    title: "Closed 1008 before the handshake: the gateway refused the connection",
    explanation:
      "Close 1008 is a policy refusal; its reason says which (an invalid first frame, a bad role, 'slow consumer', " +
      "'credential-replaced'). With no structured error the client never got an answer to connect, so the reason text " +
      "is the whole diagnosis.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # [ws] closed before connect … reason=",
      "openclaw gateway status",
    ],
    match(e) {
      if (!closedWith(e, 1008) || e["gateway.ws"]?.error) return null;
      if (/origin not allowed/i.test(e["gateway.ws"]?.close?.reason ?? "")) return null;
      return quoteWs(e);
    },
  },
];
