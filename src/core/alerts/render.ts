import { context, escapeMrkdwn, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import { type IncomingAlert, SOURCE_ACTOR } from "./payloads.ts";

/** At most this many alerts are listed in one message; the rest are counted. */
const MAX_LISTED = 10;

/** What happens to the triage after an alert fires, told under the alert. */
export type AlertTriageNote =
  | { kind: "started" }
  | { kind: "rate-limited"; minutes: number }
  | { kind: "offline" }
  | { kind: "failed"; reason: string };

/** An http(s) link as mrkdwn, or null: nothing the alert carries can become markup. */
function link(url: string | null, text: string): string | null {
  if (!url) return null;
  let href: string;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    href = u.href.replace(/\|/g, "%7C").replace(/</g, "%3C").replace(/>/g, "%3E");
  } catch {
    return null;
  }
  return `<${href}|${escapeMrkdwn(text)}>`;
}

function alertLines(alerts: readonly IncomingAlert[]): string {
  const lines = alerts.slice(0, MAX_LISTED).map((a) => {
    const summary = a.summary ? `: ${escapeMrkdwn(a.summary.slice(0, 300))}` : "";
    const where = link(a.link, "view");
    return `• *${escapeMrkdwn(a.name.slice(0, 150))}*${summary}${where ? ` (${where})` : ""}`;
  });
  if (alerts.length > MAX_LISTED) lines.push(`…and ${alerts.length - MAX_LISTED} more`);
  return lines.join("\n");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function triageLine(note: AlertTriageNote, host: string): string {
  switch (note.kind) {
    case "started":
      return "A triage follows in this thread.";
    case "rate-limited":
      return `No new triage: one was started for an alert on *${host}* less than ${note.minutes} min ago (alerts start at most one every ${note.minutes} min).`;
    case "offline":
      return `No triage: the agent on *${host}* is not connected, so it cannot be probed. That may itself be what the alert is about.`;
    case "failed":
      return `No triage: ${escapeMrkdwn(note.reason.slice(0, 300))}`;
  }
}

/** What fired on a host, posted in its incident thread before the triage. */
export function renderAlertFired(alerts: readonly IncomingAlert[], host: string, note: AlertTriageNote): Message {
  const source = SOURCE_ACTOR[alerts[0]?.source ?? "alertmanager"];
  const title = `${source}: ${plural(alerts.length, "alert")} firing on ${host}`;
  return {
    text: `🔥 ${title}`,
    parts: [section(`🔥 *${escapeMrkdwn(title)}*\n${alertLines(alerts)}`), context(triageLine(note, host))],
  };
}

/** Alerts that stopped firing, posted in the host's incident thread. */
export function renderAlertResolved(alerts: readonly IncomingAlert[], host: string): Message {
  const source = SOURCE_ACTOR[alerts[0]?.source ?? "alertmanager"];
  const title = `${source}: ${plural(alerts.length, "alert")} resolved on ${host}`;
  return {
    text: `✅ ${title}`,
    parts: [
      section(`✅ *${escapeMrkdwn(title)}*\n${alertLines(alerts)}`),
      context(
        `${source} reports ${alerts.length === 1 ? "it" : "them"} no longer firing; the host's state is what the next triage shows.`,
      ),
    ],
  };
}
