import type { LogSignaturePattern } from "./log-signature-pattern.ts";

/**
 * Gateway log lines of the field-failure classes of issue 30 (10–18 and the pending restart),
 * each a sentence OpenClaw 2026.9.6 writes (its dist/, or captured from a real gateway: the test
 * that names the kind says which). Counted beside LOG_SIGNATURES, in the file log and the journal.
 */
export const HOST_STATE_LOG_SIGNATURES: readonly LogSignaturePattern[] = [
  // `Doctor cannot repair this state: shared state database is unreadable at <path>: file is not a
  // database. …` (start refused, exit 78, captured); SQLite's own words for SQLITE_CORRUPT/NOTADB.
  {
    kind: "state-db-corrupt",
    pattern:
      /database disk image is malformed|file is not a database|state database is unreadable|\bSQLITE_(?:CORRUPT|NOTADB)\b|sqlite (?:quick|integrity)_check failed/i,
    reason: /(database disk image is malformed|file is not a database|SQLITE_CORRUPT|SQLITE_NOTADB)/i,
  },
  // `[openclaw] Non-fatal unhandled rejection (continuing): Error: database is locked` (dist
  // unhandled-rejections: SQLITE_BUSY is transient). Not the housekeeping line a healthy gateway
  // writes beside a reader (captured): `Skipped SQLite snapshot reclamation: database is locked (…)`.
  {
    kind: "state-db-busy",
    pattern:
      /^(?!.*Skipped SQLite snapshot reclamation).*(?:database is locked|\bSQLITE_BUSY\b|state database was busy)/,
  },
  // `[openclaw] Unhandled promise rejection: Error: database or disk is full` (then the process exits).
  { kind: "state-db-full", pattern: /database or disk is full|\bSQLITE_FULL\b|state database was full|\bENOSPC\b/ },
  // `Config auto-restored from backup: <path> (<suspicious reasons>)`, `… from last-known-good: <path> (<reason>)`.
  {
    kind: "config-auto-restored",
    pattern: /Config auto-restored from (?:backup|last-known-good)|Restored openclaw\.json from last-known-good/,
    reason: /auto-restored from (backup|last-known-good)/,
  },
  // `[SECRETS_OWNER_UNAVAILABLE] Secret owner provider:openai is configured-unavailable; paths:
  // models.providers.openai.apiKey; reason: secret reference was not found.` (captured), and
  // `Config (<path>): missing env var "X" at <key> - feature using this value will be unavailable`.
  {
    kind: "secret-unavailable",
    pattern: /\[SECRETS_OWNER_UNAVAILABLE\]|missing env var "/i,
    reason: /missing env var "([A-Z_][A-Z0-9_]*)"|paths: ([\w.[\]-]+)/,
  },
  // `[plugins] <id> failed during <phase> from <source>: …`, `[plugins] <id> invalid config: …`,
  // `[plugins] <id> missing register/activate export`, `plugin not found: <id> (stale config entry ignored; …)`.
  {
    kind: "plugin-load-failed",
    pattern:
      /\[plugins\] \S+ (?:failed during|invalid config:|missing register\/activate export)|plugin not found: \S+/,
    reason: /(?:\[plugins\] |plugin not found: )([\w@./-]+)/,
  },
  // `[model-fetch] error provider=<p> api=<api> model=<m> elapsedMs=<n> name=TypeError code=undefined
  // causeName=Error causeCode=ECONNRESET message=fetch failed` (dist provider-transport-fetch:
  // summarizeProviderTransportError): a provider call lost on the network, by cause code.
  {
    kind: "provider-egress-failed",
    pattern:
      /\[model-fetch\] error provider=\S+ .*\b(?:causeCode|code)=(?:ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+|ERR_TLS_\w+|CERT_\w+|UNABLE_TO_\w+|SELF_SIGNED_\w+|DEPTH_ZERO_\w+)\b/,
    reason: /\b(?:causeCode|code)=((?!undefined\b)[A-Z_]+)/,
  },
  // `gateway: observed unattributable proxy-shaped traffic from <addr>; Gateway-authenticated routes reject it, …`
  {
    kind: "proxy-shaped-traffic",
    pattern: /observed unattributable proxy-shaped traffic|proxy_attribution_required/,
    reason: /traffic from (\S+?);/,
  },
  // `[ws] unauthorized conn=… client=test ui v0.0.1-cap role=operator … auth=device-token device=yes … reason=device_token_mismatch` (captured).
  {
    kind: "device-token-mismatch",
    pattern: /\bunauthorized conn=.*\breason=device_token_mismatch\b/,
    reason: /\bclient=(.+?) role=/,
  },
  // `security audit: device access upgrade requested reason=scope-upgrade …`, handshakes refused for pairing.
  {
    kind: "pairing-requested",
    pattern:
      /device access upgrade requested|\bcause=pairing-required\b|\breason=(?:pairing[-_]required|not[-_]paired)\b/,
    reason: /\breason=([\w-]+)/,
  },
  // `exec approvals SQLite state is unavailable; denying host execution` (infra/exec-approvals, fail-closed),
  // with `{"error":"Exec approvals SQLite state is unavailable: Error: database is locked"}`: the
  // SQLite error after the last `Error: ` (String(cause) inside OpenClaw's own message) is the cause.
  {
    kind: "exec-approvals-unavailable",
    pattern: /exec approvals SQLite (?:state is unavailable|row is malformed); denying host execution/,
    reason: /exec approvals SQLite (state is unavailable|row is malformed)/,
    detail: /(?:.*Error: |^)([^|]+?)\s*(?:\|.*)?$/,
  },
  // `config change requires gateway restart (gateway.port) — deferring until …` / `config reload disabled (gateway.reload.mode=off)`.
  {
    kind: "restart-pending",
    pattern:
      /config change requires gateway restart \(|config reload disabled \(gateway\.reload\.mode=off\)|restart-required reload rejected|restart still deferred/,
    reason: /requires gateway restart \(([^)]+)\)/,
  },
];
