import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature } from "./log-evidence.ts";
import { notServing } from "./rules-logs.ts";

/**
 * Crash loops, handshake noise in the log, and policy that got stricter. Signatures from
 * GATEWAY-FACTS §4.3 (close 1000 with an empty reason = handshake timeout or a non-JSON frame)
 * and §6 (every failed start logs `Gateway failed to start: …`).
 */

/** Policy keys that silently drop messages when tightened (seeds: dmPolicy, allowlists, networkPolicy). */
const POLICY_WORDS = /\b(dmPolicy|groupPolicy|allowFrom|groupAllowFrom|allowlist|networkPolicy)\b/;

export const SERVICE_RULES: readonly Rule[] = [
  {
    id: "gateway-crash-loop",
    layer: "service",
    severity: "fail",
    confidence: "high",
    title: "Gateway is crash-looping: it keeps failing to start",
    explanation:
      "The log holds repeated 'Gateway failed to start' lines newer than the last time the gateway became ready, and the " +
      "gateway does not serve now. A supervisor (systemd, launchd, Docker restart policy) keeps restarting a gateway that " +
      "refuses every time, so status flips between 'activating' and 'stopped'. The first failure line names the cause " +
      "(exit 78 = config refusal, exit 1 = port taken); restarting again will not help.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # the first 'Gateway failed to start' line",
      "systemctl --user status openclaw-gateway   # or: journalctl -u <unit> -n 100 / docker compose logs",
      "openclaw doctor --lint --json",
      "openclaw gateway stop   # stop the loop while you fix the cause",
    ],
    falseGreen: (e) =>
      e["gateway.status"]?.json?.serviceLoaded ? "the service is loaded/enabled, so the supervisor looks fine" : null,
    match(e) {
      const sig = logSignature(e, "start-failed");
      if (!sig || sig.count < 2 || !notServing(e) || !newerThan(e, "start-failed", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "start-failed", 3), ...lastReadyLine(e)];
    },
  },
];

export const SESSION_LOG_RULES: readonly Rule[] = [
  {
    id: "handshake-timeouts-in-logs",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "Clients open the WebSocket but never finish the handshake",
    explanation:
      "The gateway logged '[ws] handshake timeout' since its last start: a client opened the socket and sent no connect " +
      "within 15 s, and the gateway closed it 1000 with an empty reason. That client sees '1000' and thinks the close was " +
      "normal. Usual causes: a proxy that buffers frames, a port scanner or TCP health check, or a client stuck before connect.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # '[ws] handshake timeout conn=… phase=…' and the peer",
      "check reverse proxies / load balancers in front of the gateway (WebSocket upgrade, buffering)",
    ],
    match(e) {
      if (!newerThan(e, "handshake-timeout", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "handshake-timeout", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "frame-parse-errors-in-logs",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "A client sends frames that are not JSON (closed 1000, empty reason)",
    explanation:
      "The gateway logged 'parse/handle error' since its last start: a client sent a text frame that is not JSON, and the " +
      "gateway closed it 1000 with an empty reason, which that client reads as success. Something between client and " +
      "gateway rewrites frames, or a non-OpenClaw client talks to the port.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # '[gateway] parse/handle error: SyntaxError …'",
      "check what connects to the gateway port (proxies, scripts, old clients)",
    ],
    match(e) {
      if (!newerThan(e, "parse-error", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "parse-error", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "policy-tightened",
    layer: "policy",
    severity: "warn",
    confidence: "medium",
    title: "Channel policy blocks messages (dmPolicy / allowlists / networkPolicy)",
    explanation:
      "A channel policy now drops messages: doctor reports a dmPolicy/allowlist setting that blocks senders (for example " +
      'dmPolicy "allowlist" with an empty allowFrom blocks every DM), or heartbeats are skipped as dm-blocked. The ' +
      "gateway is healthy and messages vanish without an error, typically after an upgrade with stricter defaults or a " +
      "config edit.",
    nextCommands: [
      "openclaw doctor --lint --json",
      "openclaw config get channels   # dmPolicy, allowFrom, groupPolicy",
      "openclaw channels status --probe",
      "openclaw pairing list",
    ],
    falseGreen: (e) => (e["gateway.ws"]?.healthRpc?.ok ? "health RPC ok (channels connected)" : null),
    match(e) {
      const lines = (e["doctor.lint"]?.findings ?? [])
        .filter((f) => POLICY_WORDS.test(`${f.checkId} ${f.message} ${f.path ?? ""}`))
        .slice(0, 3)
        .map((f) => `doctor --lint: ${f.severity} ${f.checkId}: ${f.message}`);
      const dmBlocked = logSignature(e, "heartbeat-skipped")?.reasons?.["dm-blocked"];
      if (dmBlocked) lines.push(`gateway log: ${dmBlocked} heartbeat(s) skipped with reason=dm-blocked`);
      return lines.length > 0 ? lines : null;
    },
  },
];
