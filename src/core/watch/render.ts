import type { FlapSummary, WatchTransition } from "../hosts/watch-state.ts";
import { clip, context, escapeMrkdwn, section } from "../messages/build.ts";
import { clockTime, duration } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { WatchRecord } from "../ports/watch-record.ts";

/** The actor the watch's threads and triages are opened by (renders bold, not as a mention). */
export const WATCH_ACTOR = "clawops watch";

/** A held failure: the first message of the watch in the host's thread (a triage follows). */
export function renderWatchFailing(t: WatchTransition, probes: number): Message {
  const host = escapeMrkdwn(t.host);
  const why = escapeMrkdwn(clip(t.reason, 200));
  const text = `Watch: ${t.host} failing since ${clockTime(t.since)}: ${t.reason}`;
  const lines = [`🔴 *Watch:* *${host}* is failing since ${clockTime(t.since)} (${probes} probes in a row): ${why}.`];
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
  const text = `Watch: ${t.host} recovered at ${clockTime(t.since)}${after}`;
  return {
    text,
    parts: [
      section(`✅ *Watch:* *${host}* recovered at ${clockTime(t.since)}${after}.`),
      context(
        t.failingSince !== null
          ? `failing since ${clockTime(t.failingSince)} · every quick-probed layer ok for 2 probes`
          : "every quick-probed layer ok for 2 probes",
      ),
    ],
  };
}

/** One message for a flap window's counted transitions. */
export function renderWatchFlaps(s: FlapSummary): Message {
  const host = escapeMrkdwn(s.host);
  const n = s.window.suppressed;
  const moments = s.window.moments.map((m) => `${m.healthy ? "up" : "down"} ${clockTime(m.at)}`).join(", ");
  const state = s.now
    ? s.now.healthy
      ? `healthy since ${clockTime(s.now.since)}`
      : `failing since ${clockTime(s.now.since)}: ${escapeMrkdwn(clip(s.now.reason, 160))}`
    : "not known";
  const text = `Watch: ${s.host} flapped ${n} time${n === 1 ? "" : "s"} between ${clockTime(s.window.start)} and ${clockTime(s.end)}; now ${state}`;
  return {
    text,
    parts: [
      section(
        `🔁 *Watch:* *${host}* flapped ${n} time${n === 1 ? "" : "s"} between ${clockTime(s.window.start)} and ${clockTime(s.end)} (${moments}); now ${state}.`,
      ),
      context(
        `one message per ${duration(s.end - s.window.start)} flap window · changes inside a window are summarized here, not posted one by one`,
      ),
    ],
  };
}

/**
 * "Agent lost": the host's agent stopped reporting (disconnected, or silent past its digest
 * period) for longer than a restart takes, while other agents report. What is known and what
 * is not: clawops cannot tell from here whether the host is down, the agent died, or the
 * network between them is cut. What its last report said is that report's (`last`), not the
 * held health: a steady gateway's health holds only at its first digest, and an agent lost
 * before that had still reported.
 */
export function renderAgentLost(record: WatchRecord, now: number): Message {
  const host = escapeMrkdwn(record.host);
  const since = record.stale?.at ?? record.reportedAt;
  const why = record.stale?.reason ?? "no report from its agent since";
  const text = `Watch: agent of ${record.host} lost (${why} ${clockTime(since)})`;
  return {
    text,
    parts: [
      section(
        `⚫ *Watch:* the clawops agent on *${host}* is lost: ${escapeMrkdwn(why)} ${clockTime(since)} (${duration(now - since)} ago), while other agents report. The host may be down, the agent may have died, or the network between them may be cut; clawops cannot tell which from here. Its last report said the gateway was ${record.last.healthy ? "healthy" : `failing: ${escapeMrkdwn(clip(record.last.reason, 160))}`}.`,
      ),
      context(
        "no triage can run without the agent · check the host (console, power, network) and `systemctl status clawops-agent` on it · its next report is said here",
      ),
    ],
  };
}

/** A lost agent reports again. */
export function renderAgentBack(host: string, prev: WatchRecord, now: number): Message {
  const since = prev.stale?.at ?? prev.reportedAt;
  const text = `Watch: agent of ${host} reports again after ${duration(now - since)}`;
  return {
    text,
    parts: [
      section(
        `✅ *Watch:* the agent on *${escapeMrkdwn(host)}* reports again, ${duration(now - since)} after it went silent.`,
      ),
    ],
  };
}
