import {
  CERT_SOON_DAYS,
  type CertificateFacts,
  certificateStanding,
  certificateDaysLeft as daysLeft,
  type GatewayTlsData,
  presentedCertificate as presented,
} from "../../contract/catalog.ts";
import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";

/**
 * A gateway serving TLS (issue 46, the TLS lifecycle class): the served certificate against the
 * file at `gateway.tls.certPath` (or OpenClaw's generated pair), its days to notAfter, and the
 * configured remote pin. The facts are the `gateway.tls` step's, the same the expiry calendar
 * reads; OpenClaw 2026.9.6 behaviour from its dist: the local CLI and its own local probes pin
 * the file's SHA-256 fingerprint and check nothing else (client-bootstrap-*.mjs,
 * websocket-transport-*.mjs, local-http-probe-*.mjs); the listener reloads the file when it
 * changes and keeps what it had when the new pair does not load (server-start-*.mjs
 * `startGatewayTlsRenewal`).
 */

/** The commands with placeholders, where the evidence has no port or path (each rule's `nextCommands`). */
const UNKNOWN = { port: undefined, certPath: null };

function tlsOn(e: Evidence): GatewayTlsData | null {
  const t = e["gateway.tls"];
  return t?.enabled ? t : null;
}

const certLine = (label: string, c: CertificateFacts) =>
  `${label}: SHA-256 ${c.fingerprint256}${c.subjectCN ? `, CN=${c.subjectCN}` : ""}, notBefore ${c.notBefore}, notAfter ${c.notAfter}`;

/** What a CA-verifying client said, when it said anything but "trusted". */
function caLine(t: GatewayTlsData): string[] {
  return t.caVerdict && !t.caVerdict.trusted && t.caVerdict.error
    ? [`a CA-verifying TLS client (Node's CAs) refuses it: ${t.caVerdict.error}`]
    : [];
}

/** The agent's own pinned probes, when they were refused (the local CLI is refused the same way). */
function pinRefusedLines(e: Evidence): string[] {
  const lines: string[] = [];
  const ws = e["gateway.ws"];
  if (ws?.error?.message.includes("fingerprint mismatch"))
    lines.push(`agent's ${ws.url} probe, pinned as OpenClaw's CLI pins: ${ws.error.message}`);
  const http = e["gateway.http"];
  if (http?.healthz.error?.includes("fingerprint mismatch"))
    lines.push(`agent's ${http.baseUrl}/healthz, pinned the same way: ${http.healthz.error}`);
  return lines;
}

function servedCommands(t: Pick<GatewayTlsData, "port" | "certPath">): string[] {
  const port = t.port ?? "<port>";
  return [
    `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 -enddate`,
    `openssl x509 -in ${t.certPath ?? "<gateway.tls.certPath>"} -noout -fingerprint -sha256 -enddate`,
  ];
}

export const FIELD_TLS_RULES: readonly Rule[] = [
  {
    id: "tls-not-served",
    layer: "transport",
    severity: "fail",
    confidence: "high",
    title: "gateway.tls is on in the config, but the gateway serves plain text: the change waits for a restart",
    explanation:
      "openclaw.json enables gateway.tls, and the gateway's port answers a TLS handshake in plain HTTP. The gateway " +
      "sets up TLS only when it starts; this one started before TLS was turned on and has not restarted since " +
      "(gateway.reload.mode=off, or a restart that was deferred). OpenClaw's local clients read the config and speak " +
      "wss:// and https://, so they cannot reach it: `openclaw health` says 'Gateway is still starting … Gateway not " +
      "reachable', which is false, and the agent's probes, which do the same, fail on the handshake. " +
      "The gateway itself serves: plain-text clients that were connected may carry on. A restart makes it serve " +
      "what the config says; check the certificate it will use first.",
    nextCommands: [
      "openclaw config get gateway.tls; openclaw config get gateway.reload",
      "curl -s http://127.0.0.1:<port>/readyz   # answers in plain text: TLS is not on yet",
      "openclaw gateway restart   # starts it with gateway.tls as configured",
    ],
    commands: (e) => {
      const port = e["gateway.tls"]?.port ?? "<port>";
      return [
        "openclaw config get gateway.tls; openclaw config get gateway.reload",
        `curl -s http://127.0.0.1:${port}/readyz   # answers in plain text: TLS is not on yet`,
        "openclaw gateway restart   # starts it with gateway.tls as configured",
      ];
    },
    match(e) {
      const t = tlsOn(e);
      if (!t?.plainText) return null;
      const ws = e["gateway.ws"];
      return [
        "openclaw.json: gateway.tls.enabled true",
        `port ${t.port ?? "?"} answered a TLS hello in plain text: ${t.servedError ?? "wrong version number"}`,
        ...(ws?.url.startsWith("wss:") && ws.error ? [`agent's ${ws.url} probe: ${ws.error.message}`] : []),
      ];
    },
  },
  {
    id: "tls-served-not-file",
    layer: "transport",
    severity: "fail",
    confidence: "high",
    title: "The gateway serves another TLS certificate than its file: clients that pin the file are refused",
    explanation:
      "The certificate the gateway's port presents is not the one at gateway.tls.certPath (SHA-256 fingerprints " +
      "differ). The gateway loads that file at start and reloads it when it changes; when the changed pair does not " +
      "load (a certificate that does not match the key, an unreadable file: 'gateway TLS renewal failed; keeping " +
      "accepted material') or reloading is off (gateway.reload.mode=off), it keeps serving what it had. OpenClaw's " +
      "own local clients pin the file's fingerprint and are refused: `openclaw health` says 'Gateway is still " +
      "starting … Gateway not reachable after waiting 6 s. gateway TLS certificate unavailable', and the agent, " +
      "pinning the same way, gets 'gateway tls fingerprint mismatch'. Both are red because of the pin, not because " +
      "the gateway is down or starting: it completes TLS handshakes, and clients that trust the served certificate " +
      "may connect as before.",
    nextCommands: [
      ...servedCommands(UNKNOWN),
      "openclaw logs --limit 300 --plain | grep 'TLS renewal'",
      "openclaw gateway restart   # loads the file, once the pair is right",
    ],
    commands: (e) => {
      const t = tlsOn(e);
      return [
        ...(t ? servedCommands(t) : []),
        "openclaw logs --limit 300 --plain | grep 'TLS renewal'   # why the file was not loaded, when it says",
        "openssl x509 -in <cert> -noout -pubkey | openssl sha256; openssl pkey -in <key> -pubout | openssl sha256   # the pair must match",
        "openclaw gateway restart   # loads the file, once the pair is right",
      ];
    },
    match(e) {
      const t = tlsOn(e);
      if (!t?.served || !t.file || t.servedMatchesFile !== false) return null;
      return [certLine("served", t.served), certLine(t.certPath ?? "file", t.file), ...pinRefusedLines(e)];
    },
  },
  {
    id: "tls-cert-expired",
    layer: "transport",
    severity: "fail",
    confidence: "high",
    title: "The gateway's TLS certificate has expired",
    explanation:
      "The certificate the gateway presents is past its notAfter. OpenClaw's own clients pin its fingerprint and do " +
      "not check dates, so `openclaw health` and the agent's pinned probes still connect and read green; a client that verifies certificates (a browser on the Control UI, a reverse proxy, any CA-verifying " +
      "client) refuses it. Renewing means a new certificate at gateway.tls.certPath (for the generated pair: delete " +
      "both files and restart, and OpenClaw makes a new one); pinned clients then need the new fingerprint.",
    nextCommands: [...servedCommands(UNKNOWN), "openclaw config get gateway.tls"],
    commands: (e) => {
      const t = tlsOn(e);
      return [...(t ? servedCommands(t) : []), "openclaw config get gateway.tls"];
    },
    falseGreen: (e) => {
      const ws = e["gateway.ws"];
      return ws?.outcome === "hello-ok" && ws.url.startsWith("wss:")
        ? `the wss handshake pinned to the certificate's fingerprint succeeded (${ws.url}): a pin does not check expiry`
        : null;
    },
    match(e) {
      const t = tlsOn(e);
      const p = t && presented(t);
      const days = p && daysLeft(t, p.cert);
      // The watch compares the same standing (contract/watch.ts): it sends a reading that crosses the line.
      if (!t || !p || days === null || certificateStanding(t) !== "expired") return null;
      return [
        `${certLine(p.what, p.cert)}: expired ${Math.floor(-days)} day(s) before this probe (${t.checkedAt})`,
        ...caLine(t),
      ];
    },
  },
  {
    id: "tls-cert-expiring",
    layer: "transport",
    severity: "warn",
    confidence: "high",
    title: `The gateway's TLS certificate expires within ${CERT_SOON_DAYS} days`,
    explanation:
      "The certificate the gateway presents ends soon. Until then nothing fails; after its notAfter, CA-verifying " +
      "clients (browsers on the Control UI, reverse proxies) refuse it while OpenClaw's pinned clients keep " +
      "connecting. The gateway reloads gateway.tls.certPath when the file changes, so a renewed pair written there " +
      "(certificate and key together) is served without a restart; clients pinned to the old fingerprint then need " +
      "the new one.",
    nextCommands: [...servedCommands(UNKNOWN)],
    commands: (e) => {
      const t = tlsOn(e);
      return [...(t ? servedCommands(t) : []), "openclaw logs --limit 300 --plain | grep 'TLS'   # after a renewal"];
    },
    match(e) {
      const t = tlsOn(e);
      const p = t && presented(t);
      const days = p && daysLeft(t, p.cert);
      if (!t || !p || days === null || certificateStanding(t) !== "expiring") return null;
      return [
        `${certLine(p.what, p.cert)}: ${days < 1 ? "less than a day" : `${Math.floor(days)} day(s)`} left at this probe (${t.checkedAt})`,
      ];
    },
  },
  {
    id: "tls-pin-mismatch",
    layer: "transport",
    severity: "fail",
    confidence: "high",
    title: "gateway.remote.tlsFingerprint is not the certificate the gateway serves: clients with that pin are refused",
    explanation:
      "The config pins a certificate for remote clients (gateway.remote.tlsFingerprint) that is not the one the " +
      "gateway's port presents. An OpenClaw client configured with that pin (a remote CLI, a node, an app with the " +
      "same config) compares the served certificate's SHA-256 fingerprint with it and refuses the connection " +
      "('gateway tls fingerprint mismatch') before it sends anything. /healthz and, in local mode, the local CLI " +
      "(it pins the certificate file instead) stay green. Usually the certificate was renewed or regenerated and the pin not updated.",
    nextCommands: [...servedCommands(UNKNOWN).slice(0, 1), "openclaw config get gateway.remote.tlsFingerprint"],
    commands: (e) => {
      const t = tlsOn(e);
      return [
        ...(t ? servedCommands(t).slice(0, 1) : []),
        "openclaw config get gateway.remote.tlsFingerprint",
        "openclaw config set gateway.remote.tlsFingerprint '<the served SHA-256>'   # on every client that pins it",
      ];
    },
    match(e) {
      const t = tlsOn(e);
      if (!t?.served || !t.remotePin || t.remotePin === t.served.fingerprint256) return null;
      return [`gateway.remote.tlsFingerprint: ${t.remotePin}`, certLine("served", t.served), ...pinRefusedLines(e)];
    },
  },
];

export const FIELD_TLS_RULE_CHECKS: Readonly<Record<string, { confirm: string; ruleOut: string }>> = {
  "tls-not-served": {
    confirm: "`curl -s http://127.0.0.1:<port>/readyz` answers while `openclaw config get gateway.tls` says enabled",
    ruleOut: "`openssl s_client -connect 127.0.0.1:<port>` completes a handshake",
  },
  "tls-served-not-file": {
    confirm: "`openssl s_client` on the port and `openssl x509` on the file print different SHA-256 fingerprints",
    ruleOut: "both print the same fingerprint (the gateway reloaded the file, or was restarted)",
  },
  "tls-cert-expired": {
    confirm: "`openssl s_client -connect 127.0.0.1:<port> | openssl x509 -noout -enddate` shows a past date",
    ruleOut: "the served certificate's notAfter is in the future (the host clock is right: `date -u`)",
  },
  "tls-cert-expiring": {
    confirm: `the served certificate's notAfter (\`openssl x509 -noout -enddate\`) is under ${CERT_SOON_DAYS} days away`,
    ruleOut: "a renewed certificate is served (a later notAfter)",
  },
  "tls-pin-mismatch": {
    confirm: "the pin in `openclaw config get gateway.remote.tlsFingerprint` differs from the served fingerprint",
    ruleOut: "the pin equals the fingerprint `openssl s_client` prints for the port",
  },
};
