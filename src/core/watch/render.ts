import { clip, context, escapeMrkdwn, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { FlapSummary, WatchTransition } from "./state.ts";

/** The actor the watch's threads and triages are opened by (renders bold, not as a mention). */
export const WATCH_ACTOR = "clawops watch";

/** A held failure: the first message of the watch in the host's thread (a triage follows). */
export function renderWatchFailing(t: WatchTransition, probes: number): Message {
  const host = escapeMrkdwn(t.host);
  const why = escapeMrkdwn(clip(t.reason, 200));
  const text = `Watch: ${t.host} failing since ${clock(t.since)}: ${t.reason}`;
  const lines = [`🔴 *Watch:* *${host}* is failing since ${clock(t.since)} (${probes} probes in a row): ${why}.`];
  if (t.falseGreen) lines.push(`False green: ${escapeMrkdwn(clip(t.falseGreen, 300))}.`);
  return {
    text,
    parts: [
      section(lines.join("\n")),
      context(
        `quick probe by the host's agent · findings: ${t.findingIds.map((id) => `\`${id}\``).join(", ") || "none"} · a full triage follows in this thread`,
      ),
    ],
  };
}

/** The held return to healthy, in the same thread. */
export function renderWatchRecovered(t: WatchTransition): Message {
  const host = escapeMrkdwn(t.host);
  const after = t.failingSince !== null ? ` after ${duration(t.since - t.failingSince)}` : "";
  const text = `Watch: ${t.host} recovered at ${clock(t.since)}${after}`;
  return {
    text,
    parts: [
      section(`✅ *Watch:* *${host}* recovered at ${clock(t.since)}${after}.`),
      context(
        t.failingSince !== null
          ? `failing since ${clock(t.failingSince)} · every quick-probed layer ok for 2 probes`
          : "every quick-probed layer ok for 2 probes",
      ),
    ],
  };
}

/** One message for a flap window's counted transitions. */
export function renderWatchFlaps(s: FlapSummary): Message {
  const host = escapeMrkdwn(s.host);
  const n = s.window.suppressed;
  const moments = s.window.moments.map((m) => `${m.healthy ? "up" : "down"} ${clock(m.at)}`).join(", ");
  const state = s.now
    ? s.now.healthy
      ? `healthy since ${clock(s.now.since)}`
      : `failing since ${clock(s.now.since)}: ${escapeMrkdwn(clip(s.now.reason, 160))}`
    : "not known";
  const text = `Watch: ${s.host} flapped ${n} time${n === 1 ? "" : "s"} between ${clock(s.window.start)} and ${clock(s.end)}; now ${state}`;
  return {
    text,
    parts: [
      section(
        `🔁 *Watch:* *${host}* flapped ${n} time${n === 1 ? "" : "s"} between ${clock(s.window.start)} and ${clock(s.end)} (${moments}); now ${state}.`,
      ),
      context(
        `one message per ${duration(s.end - s.window.start)} flap window · changes inside a window are summarized here, not posted one by one`,
      ),
    ],
  };
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** "45 s", "6 min", "2 h 5 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "12 s ago", "4 min ago", "3 h ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
