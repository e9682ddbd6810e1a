import type { LogSignature, LogSignatureKind } from "../../contract/catalog.ts";
import { redactText } from "./redact.ts";

/**
 * Signature lines of the gateway's file log, from GATEWAY-FACTS §4–§7 and the seeds' ladder.
 * The file holds tslog JSON lines (`{"0":"{\"subsystem\":\"gateway/reload\"}","1":"config
 * reload failed: …","time":…}`) or, from older builds and journals, plain text; the console
 * shows the same line as `[reload] config reload failed: …`, which is what is matched.
 * `reload-applied` and `gateway-ready` are not faults: they tell whether a failure is stale.
 */
type Signature = { kind: LogSignatureKind; pattern: RegExp; reason?: RegExp };

export const LOG_SIGNATURES: readonly Signature[] = [
  { kind: "ws-unauthorized", pattern: /\bunauthorized conn=/, reason: /\breason=([\w.-]+)/ },
  { kind: "reload-failed", pattern: /config reload failed/i },
  { kind: "reload-applied", pattern: /config hot reload applied|config reload applied/i },
  { kind: "gateway-ready", pattern: /^\[gateway\] (?:gateway )?ready\b/ },
  { kind: "closed-before-connect", pattern: /closed before connect\b/, reason: /\bcode=(\d+)/ },
  // A browser client refused by gateway.controlUi.allowedOrigins: the close line carries the
  // Origin it came from (`closed before connect … origin=https://… code=1008 reason=origin not allowed …`).
  { kind: "origin-not-allowed", pattern: /\borigin not allowed\b/i, reason: /\borigin=(\S+)/ },
  { kind: "handshake-timeout", pattern: /\bhandshake timeout\b/ },
  { kind: "parse-error", pattern: /parse\/handle error/ },
  { kind: "port-in-use", pattern: /EADDRINUSE|another gateway instance is already listening/ },
  { kind: "refusing-to-bind", pattern: /refusing to bind gateway/i },
  // `Missing config. Run openclaw setup or set gateway.mode=local` is the no-config variant (exit 78).
  {
    kind: "start-blocked",
    pattern:
      /Gateway start blocked|existing config is missing gateway\.mode|Missing config\. Run `?openclaw setup`? or set gateway\.mode=local/i,
  },
  { kind: "start-failed", pattern: /Gateway failed to start/i },
  { kind: "anthropic-429-long-context", pattern: /\b429\b.*Extra usage is required for long context/i },
  { kind: "cron-disabled", pattern: /cron: scheduler disabled/i },
  { kind: "cron-tick-failed", pattern: /cron: timer tick failed/i },
  { kind: "heartbeat-skipped", pattern: /heartbeat skipped/i, reason: /\breason=([\w.-]+)/ },
  { kind: "chrome-cdp-failed", pattern: /Failed to start Chrome CDP/i },
  { kind: "remote-cdp-unreachable", pattern: /Remote CDP\b.*\bnot reachable/i },
  { kind: "browser-command-unknown", pattern: /unknown command ["'`]browser["'`]/i },
  { kind: "workspace-vanished", pattern: /WORKSPACE_VANISHED/ },
];

const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 300;
/** Longer lines are stack dumps or payloads; their head still carries the signature. */
const MAX_LINE_CHARS = 16_384;

export type LogLine = { time?: string; text: string };

export type LogScan = {
  linesScanned: number;
  linesSkipped: number;
  newestAt?: string;
  signatures: LogSignature[];
};

/** Reads one log line; null for a line that is neither JSON nor readable text. */
export function parseLogLine(raw: string): LogLine | null {
  const line = raw.length > MAX_LINE_CHARS ? raw.slice(0, MAX_LINE_CHARS) : raw;
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.includes("\u0000")) return null;
  if (trimmed.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return null; // Half a JSON line (the tail cut it, or a crash mid-write).
    }
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? fromTslog(value as Record<string, unknown>)
      : null;
  }
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+(.*)$/.exec(trimmed);
  return m?.[1] && m[2] !== undefined ? { time: m[1], text: m[2] } : { text: trimmed };
}

function fromTslog(obj: Record<string, unknown>): LogLine | null {
  let prefix = "";
  const strings: string[] = [];
  const objects: string[] = [];
  for (let i = 0; String(i) in obj; i += 1) {
    const v = obj[String(i)];
    const subsystem = i === 0 && typeof v === "string" && v.startsWith('{"subsystem"') ? subsystemOf(v) : null;
    if (subsystem) prefix = `[${subsystem}] `;
    else if (typeof v === "string") strings.push(v);
    // Structured context (`{"cause":…,"authReason":…}`) only when there is no message text.
    else objects.push(JSON.stringify(v));
  }
  if (strings.length === 0 && typeof obj.message === "string") strings.push(obj.message);
  const body = (strings.length > 0 ? strings : objects).join(" ");
  if (body === "") return null;
  const meta = obj._meta !== null && typeof obj._meta === "object" ? (obj._meta as Record<string, unknown>) : {};
  const time = typeof obj.time === "string" ? obj.time : typeof meta.date === "string" ? meta.date : undefined;
  return { ...(time ? { time } : {}), text: prefix + body };
}

/** `{"subsystem":"gateway/reload"}` → `reload`, as the console prints it. */
function subsystemOf(json: string): string | null {
  try {
    const s = (JSON.parse(json) as { subsystem?: unknown }).subsystem;
    return typeof s === "string" && s !== "" ? (s.split("/").pop() ?? s) : null;
  } catch {
    return null;
  }
}

/** Counts signature lines in log text (oldest line first). Never throws on odd input. */
export function scanLogText(text: string, secrets: readonly string[] = []): LogScan {
  const found = new Map<LogSignatureKind, LogSignature>();
  let linesScanned = 0;
  let linesSkipped = 0;
  let newestAt: string | undefined;
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    linesScanned += 1;
    const line = parseLogLine(raw);
    if (!line) {
      linesSkipped += 1;
      continue;
    }
    if (line.time && (!newestAt || line.time > newestAt)) newestAt = line.time;
    for (const sig of LOG_SIGNATURES) {
      if (!sig.pattern.test(line.text)) continue;
      const entry = found.get(sig.kind) ?? { kind: sig.kind, count: 0, examples: [] };
      entry.count += 1;
      if (line.time && (!entry.lastAt || line.time > entry.lastAt)) entry.lastAt = line.time;
      const reason = sig.reason?.exec(line.text)?.[1];
      if (reason) {
        entry.reasons ??= {};
        entry.reasons[reason] = (entry.reasons[reason] ?? 0) + 1;
      }
      entry.examples.push(example(line, secrets));
      if (entry.examples.length > MAX_EXAMPLES) entry.examples.shift();
      found.set(sig.kind, entry);
    }
  }
  return {
    linesScanned,
    linesSkipped,
    ...(newestAt ? { newestAt } : {}),
    signatures: [...found.values()],
  };
}

function example(line: LogLine, secrets: readonly string[]): string {
  const text = line.text.length > MAX_EXAMPLE_CHARS ? `${line.text.slice(0, MAX_EXAMPLE_CHARS)}…` : line.text;
  return redactText(line.time ? `${line.time} ${text}` : text, secrets);
}
