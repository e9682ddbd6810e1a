import { isoTime } from "../icu-free.ts";
import type { ReadLine } from "./bundle-log-read.ts";
import { TIMELINE } from "./gateway-log-patterns.ts";
import { parseLogLine } from "./log-signatures.ts";

/**
 * The repro bundle's UTC timeline from the gateway file log: starts (anchored on their first
 * line), stops, close codes, token rotations, reloads and version changes, plus where the last
 * start and the last disconnect are and which lines are policy hits. The patterns are the
 * TIMELINE set of gateway-log-patterns.ts.
 */

export type TimelineEvent = {
  at?: string;
  kind:
    | "close"
    | "gateway-start"
    | "gateway-stop"
    | "token-rotation"
    | "config-reload"
    | "config-reload-failed"
    | "config-edit"
    | "config-backup"
    | "upgrade";
  code?: number;
  detail: string;
};

export function analyseLog(lines: readonly ReadLine[]): {
  events: TimelineEvent[];
  lastStart: number | null;
  lastDisconnect: number | null;
  policyLines: number[];
} {
  const events: TimelineEvent[] = [];
  let lastStart: number | null = null;
  let lastDisconnect: number | null = null;
  const policyLines: number[] = [];
  let lastVersion: string | null = null;
  let inStart = false;
  lines.forEach((l, i) => {
    if (l.binary) return;
    const parsed = parseLogLine(l.text);
    if (!parsed) return;
    const text = parsed.text;
    const at = parsed.time ? toUtc(parsed.time) : undefined;
    const ev = (e: Omit<TimelineEvent, "at">) =>
      events.push({ ...(at ? { at } : {}), ...e, detail: e.detail.slice(0, 300) });
    const begins = TIMELINE.startBegin.test(text);
    const ready = TIMELINE.startReady.test(text);
    if ((begins || ready) && !inStart) {
      // One start runs from its first start line to `gateway ready`: anchor on the first.
      lastStart = i;
      ev({ kind: "gateway-start", detail: text });
    }
    if (begins) inStart = true;
    if (ready || TIMELINE.startFailed.test(text)) inStart = false;
    if (begins || ready) {
      const v = TIMELINE.versionInStart.exec(text)?.[1];
      if (v) {
        if (lastVersion && v !== lastVersion) ev({ kind: "upgrade", detail: `${lastVersion} → ${v}` });
        lastVersion = v;
      }
    }
    if (TIMELINE.stop.test(text)) {
      ev({ kind: "gateway-stop", detail: text });
      inStart = false;
    }
    if (TIMELINE.tokenRotation.test(text)) ev({ kind: "token-rotation", detail: text });
    else if (TIMELINE.reloadOk.test(text)) ev({ kind: "config-reload", detail: text });
    if (TIMELINE.reloadFail.test(text)) ev({ kind: "config-reload-failed", detail: text });
    const close = TIMELINE.closeCode.exec(text);
    if (close && (TIMELINE.disconnect.test(text) || /\bclos/i.test(text))) {
      ev({ kind: "close", code: Number(close[1] ?? close[2]), detail: text });
    }
    if (TIMELINE.disconnect.test(text)) lastDisconnect = i;
    if (TIMELINE.policy.test(text)) policyLines.push(i);
  });
  return { events, lastStart, lastDisconnect, policyLines };
}

export function summariseCloses(
  events: TimelineEvent[],
): { code: number; count: number; first?: string; last?: string }[] {
  const byCode = new Map<number, { code: number; count: number; first?: string; last?: string }>();
  for (const e of events) {
    if (e.kind !== "close" || e.code === undefined) continue;
    const entry = byCode.get(e.code) ?? { code: e.code, count: 0 };
    entry.count++;
    if (e.at) {
      entry.first ??= e.at;
      entry.last = e.at;
    }
    byCode.set(e.code, entry);
  }
  return [...byCode.values()].sort((a, b) => a.code - b.code);
}

function toUtc(time: string): string {
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? time : isoTime(d);
}
