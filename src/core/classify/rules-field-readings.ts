import type { Evidence } from "./evidence.ts";
import { healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logNotRead, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * Issue 46, what the gateway reads or keeps for later that stops working quietly: its own file
 * log, the Gmail watch, the memory index's vectors, TLS renewal. From its log lines (OpenClaw
 * 2026.9.6's strings: gateway-log-patterns-runtime.ts) and from what the agent could not read.
 */

const readyzGreen = (e: Evidence) => (e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null);
const sinceStart = (e: Evidence, kind: Parameters<typeof newerThan>[1]) => newerThan(e, kind, ["gateway-ready"]);

/** Slack for the gateway's first lines after its start, and for the two readings' clocks. */
const STALE_MARGIN_MS = 60_000;

/**
 * The log read was last written before the running gateway started (its uptime, from the probe's
 * handshake, against the time the agent read the log): this gateway has written nothing there.
 */
function logOlderThanGateway(e: Evidence): { path: string; modifiedAt: string; startedAt: string } | null {
  const logs = e["logs.signatures"];
  const uptimeMs = e["gateway.ws"]?.outcome === "hello-ok" ? e["gateway.ws"]?.server?.uptimeMs : undefined;
  if (!logs?.found || !logs.path || logs.attribution?.verdict === "other-gateway" || uptimeMs === undefined)
    return null;
  const modified = timeOf(logs.modifiedAt);
  const readAt = timeOf(logs.readAt);
  if (modified === null || readAt === null) return null;
  const started = readAt - uptimeMs;
  if (modified >= started - STALE_MARGIN_MS) return null;
  return { path: logs.path, modifiedAt: logs.modifiedAt ?? "", startedAt: new Date(started).toISOString() };
}

export const FIELD_READING_RULES: readonly Rule[] = [
  {
    id: "gateway-log-unwritable",
    layer: "config",
    severity: "warn",
    confidence: "high",
    title: "The gateway's file log is not being written: every check that reads it is blind",
    explanation:
      "The gateway's log path is a directory, or the gateway itself said it cannot append to its file log " +
      "('[openclaw] log file append failed; records dropped; check that the path is a writable regular file', printed " +
      "once to stderr, so the service journal has it and the file never does). The gateway serves on, but what only " +
      "its log shows (a failed hot reload, refused clients, failing cron runs, model failures, the lines every other " +
      "log-based finding reads) is dropped: no finding can say those are fine. `logging.file` pointing at a directory " +
      "is the usual cause; a full disk or a permission change are others.",
    nextCommands: [
      "openclaw config get logging.file",
      "ls -ld <log path>   # a directory, or not writable by the gateway's user",
      "journalctl --user -u openclaw-gateway -n 200 | grep 'log file append failed'",
      "openclaw config set logging.file <a file path>   # then restart the gateway",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e)),
    match(e) {
      const lines: string[] = [];
      const notRead = logNotRead(e);
      for (const u of notRead?.unreadable ?? []) {
        if (u.code === "EISDIR")
          lines.push(`${u.path} is a directory (EISDIR): the gateway cannot append its log to it`);
      }
      // The journal line outlives a restart only as history: since the last start, or undated.
      if (newerThan(e, "log-append-failed", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "log-append-failed", 1));
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "gateway-log-stale",
    layer: "config",
    severity: "warn",
    confidence: "medium",
    title: "The running gateway has not written its file log since it started",
    explanation:
      "The log file read was last modified before the running gateway started, yet at OpenClaw's default level " +
      "(info) every start writes its own lines there ('gateway ready'). So this gateway's lines go somewhere else or " +
      "are dropped, and every check that reads the log sees only an earlier run's lines: what went wrong since the " +
      "start cannot show. The gateway may be logging to another path (a `logging.file` changed without a restart), " +
      "failing to append (the journal then has 'log file append failed'), or running with `logging.level` or " +
      "OPENCLAW_LOG_LEVEL above info, which keeps its start lines out.",
    nextCommands: [
      "ls -l --time-style=full-iso <log path>   # its modification time against the gateway's start",
      "openclaw config get logging",
      "tr '\\0' '\\n' < /proc/<gateway pid>/environ | grep OPENCLAW_LOG   # as root or the gateway's user",
      "journalctl --user -u openclaw-gateway -n 200 | grep '\\[openclaw\\] log file'",
    ],
    match(e) {
      const stale = logOlderThanGateway(e);
      if (!stale) return null;
      return [
        `${stale.path} last modified ${stale.modifiedAt}`,
        `the running gateway started about ${stale.startedAt} (its uptime in the handshake)`,
      ];
    },
  },
  {
    id: "gmail-watch-failing",
    layer: "channels",
    severity: "warn",
    confidence: "medium",
    title: "The Gmail watcher runs but its watch fails: new mail may stop reaching the gateway",
    explanation:
      "The gateway's Gmail watcher keeps running, but starting or renewing its Gmail watch failed ('gog gmail watch " +
      "start failed', 'watch start error'). A Gmail watch lapses about a week after its last renewal, after which new " +
      "mail may no longer be pushed to the gateway's hook while the watcher process looks alive. 'invalid_grant' means " +
      "the Google OAuth grant behind it was revoked or expired: renewals fail until it is authorised again.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -E 'gmail-watcher|\\[gog\\]'",
      "openclaw webhooks gmail setup   # re-authorises and re-registers the watch (interactive)",
    ],
    match(e) {
      // A later renewal that took (`watch started for …`) clears it.
      if (!newerThan(e, "gmail-watch-failed", ["gateway-ready", "gmail-watch-started"])) return null;
      return [...quoteSignature(e, "gmail-watch-failed", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "memory-search-degraded",
    layer: "workspace",
    severity: "warn",
    confidence: "high",
    title: "Memory search runs without vectors: new memory is indexed for keywords only",
    explanation:
      "The gateway logged that it could not write the memory index's vector table ('memory_index_chunks_vec not " +
      "updated — sqlite-vec unavailable: …'): the sqlite-vec extension did not load, or no embedding dimensions were " +
      "resolved. Memory still answers keyword searches; semantic recall of what was indexed since then is degraded. " +
      "OpenClaw says this once per process, so one line stands for every later write.",
    nextCommands: [
      "openclaw memory status --deep   # 'Vector search:' says whether it is available or paused",
      "openclaw logs --limit 300 --plain | grep 'chunks_vec'",
      "openclaw memory index --force   # after sqlite-vec loads again: rebuilds the vectors",
    ],
    match(e) {
      if (!sinceStart(e, "memory-vector-degraded")) return null;
      return [...quoteSignature(e, "memory-vector-degraded", 1), ...lastReadyLine(e)];
    },
  },
  {
    id: "tls-renewal-failed",
    layer: "transport",
    severity: "warn",
    confidence: "high",
    title: "The gateway rejected its TLS renewal and keeps serving its previous certificate",
    explanation:
      "The gateway watches its certificate, key and CA files and reloads them when they change. It tried to load the " +
      "changed material and refused it ('gateway TLS renewal failed; keeping accepted " +
      "material: …'): it keeps serving the certificate it had. Clients connect as before for now; when that " +
      "certificate expires they may be refused, and a client pinned to the new certificate's fingerprint may already " +
      "fail. The error in the line says why the new pair was refused (a key that does not match, a file not readable).",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep 'TLS renewal'",
      "openclaw config get gateway.tls",
      "openssl x509 -in <gateway.tls.certPath> -noout -enddate -fingerprint -sha256",
      "openssl s_client -connect 127.0.0.1:<port> </dev/null 2>/dev/null | openssl x509 -noout -enddate -fingerprint -sha256",
    ],
    match(e) {
      // A later renewal that took clears it (the gateway retries on every change of the files).
      if (!newerThan(e, "tls-renewal-failed", ["gateway-ready", "tls-renewed"])) return null;
      return [...quoteSignature(e, "tls-renewal-failed", 2), ...lastReadyLine(e)];
    },
  },
];
