import type { LogSignature, LogSignatureKind } from "../../contract/catalog.ts";
import { LOG_SIGNATURES } from "./gateway-log-patterns.ts";
import { redactText } from "./redact.ts";

/**
 * Reads the gateway's file log: one line at a time as the console prints it, then counted
 * against the signature catalog (gateway-log-patterns.ts).
 */

const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 300;
/** Longer lines are stack dumps or payloads; their head still carries the signature. */
const MAX_LINE_CHARS = 16_384;

/**
 * `detail`: a JSON line's structured error (`{"error": …}` beside the message, as OpenClaw's
 * `log.warn(message, { error })` writes it), kept apart from the text the patterns match.
 */
export type LogLine = { time?: string; text: string; detail?: string };

/** A detail longer than this is cut (an error message, not a stack). */
const MAX_DETAIL_CHARS = 300;

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
  let detail: string | undefined;
  for (let i = 0; String(i) in obj; i += 1) {
    const v = obj[String(i)];
    const subsystem = i === 0 && typeof v === "string" && v.startsWith('{"subsystem"') ? subsystemOf(v) : null;
    if (subsystem) prefix = `[${subsystem}] `;
    else if (typeof v === "string") strings.push(v);
    // Structured context (`{"cause":…,"authReason":…}`) only when there is no message text;
    // its error, if it names one, is the line's detail either way.
    else {
      objects.push(JSON.stringify(v));
      detail ??= errorOf(v);
    }
  }
  if (strings.length === 0 && typeof obj.message === "string") strings.push(obj.message);
  const body = (strings.length > 0 ? strings : objects).join(" ");
  if (body === "") return null;
  const meta = obj._meta !== null && typeof obj._meta === "object" ? (obj._meta as Record<string, unknown>) : {};
  const time = typeof obj.time === "string" ? obj.time : typeof meta.date === "string" ? meta.date : undefined;
  return {
    ...(time ? { time } : {}),
    text: prefix + body,
    ...(detail && strings.length > 0 ? { detail: detail.slice(0, MAX_DETAIL_CHARS) } : {}),
  };
}

/** The `error` (or `err`) string of a structured log argument. */
function errorOf(v: unknown): string | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const e = o.error ?? o.err;
  return typeof e === "string" && e.trim() !== "" ? e.trim() : undefined;
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
      if (line.time && (!entry.firstAt || line.time < entry.firstAt)) entry.firstAt = line.time;
      const base = sig.reason?.exec(line.text)?.[1];
      const cause = line.detail && sig.detail ? sig.detail.exec(line.detail)?.[1]?.trim() : undefined;
      const reason = base && cause ? `${base} (${cause})` : base;
      if (reason) {
        entry.reasons ??= {};
        entry.reasons[reason] = (entry.reasons[reason] ?? 0) + 1;
      }
      entry.examples.push(example(sig.detail && line.detail ? withDetail(line) : line, secrets, sig.maxChars));
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

/** The line as quoted with its error, as the console prints a warning and its context. */
function withDetail(line: LogLine): LogLine {
  return { ...line, text: `${line.text} (error: ${line.detail})` };
}

function example(line: LogLine, secrets: readonly string[], max = MAX_EXAMPLE_CHARS): string {
  const text = line.text.length > max ? `${line.text.slice(0, max)}…` : line.text;
  return redactText(line.time ? `${line.time} ${text}` : text, secrets);
}
