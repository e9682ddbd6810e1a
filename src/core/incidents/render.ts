import { actions, clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { ago, clockTime, isoSeconds, mention } from "../messages/format.ts";
import { incidentButton } from "../messages/incident-buttons.ts";
import type { Message } from "../messages/model.ts";
import type { Incident, IncidentEvent, IncidentState } from "../ports/incident-book.ts";
import type { IncidentTicket } from "../ports/ticket-book.ts";

/** `/openclaw incidents` and `/openclaw incident <id>` as chat, console and CLI show them. */

const STATE_ICON: Record<IncidentState, string> = { open: "🔴", acknowledged: "🟠", resolved: "✅" };

/** One line per incident, newest first. */
export function renderIncidentList(incidents: readonly Incident[], scope: "open" | "all", now: number): Message {
  const title = scope === "open" ? "Open incidents" : "Incidents";
  if (incidents.length === 0) {
    const text = scope === "open" ? "No open incidents." : "No incidents yet.";
    return { text, parts: [section(text)] };
  }
  const lines = incidents.map(
    (i) =>
      `${STATE_ICON[i.state]} \`${i.id}\` *${escapeMrkdwn(i.hosts.join(", "))}* · ${i.state}${i.owner ? ` (${mention(i.owner)})` : ""} · ${i.source} · opened ${ago(now - i.openedAt)}`,
  );
  return {
    text: `${title}: ${incidents.length}`,
    parts: [
      section(`*${title}* (${incidents.length})`),
      section(clip(lines.join("\n"), 3000)),
      context("`/openclaw incident <id>` shows one with its timeline."),
    ],
  };
}

/** One incident: what, state, owner, its tickets, its timeline in order, and *Open ticket*. */
export function renderIncident(
  incident: Incident,
  timeline: readonly IncidentEvent[],
  tickets: readonly Pick<IncidentTicket, "key" | "url" | "state">[] = [],
): Message {
  const head = `${STATE_ICON[incident.state]} Incident ${incident.id}: ${incident.title}`;
  const facts = [
    `*State:* ${incident.state}`,
    `*Owner:* ${incident.owner ? mention(incident.owner) : "nobody yet"}`,
    `*Source:* ${incident.source}`,
    `*Hosts:* ${escapeMrkdwn(incident.hosts.join(", "))}`,
    `*Opened:* ${isoSeconds(incident.openedAt)} by ${mention(incident.openedBy)}`,
    ...(incident.resolvedAt !== null
      ? [
          `*Resolved:* ${isoSeconds(incident.resolvedAt)}${incident.resolvedBy ? ` by ${mention(incident.resolvedBy)}` : ""}`,
        ]
      : []),
    ...(incident.channel ? [`*Thread:* <#${incident.channel}>`] : []),
    ...(tickets.length
      ? [
          `*Tickets:* ${tickets.map((t) => `${t.url ? `<${t.url}|${escapeMrkdwn(t.key)}>` : escapeMrkdwn(t.key)}${t.state === "closed" ? " (closed)" : ""}`).join(", ")}`,
        ]
      : []),
  ];
  // Slack caps a section at 3,000 characters: the newest entries are the ones cut, with a count.
  const lines: string[] = [];
  let size = 0;
  for (const e of timeline) {
    const line = `\`${e.seq}\` ${clockTime(e.at)} ${mention(e.actor)} · ${e.kind} · ${escapeMrkdwn(e.text)}`;
    if (size + line.length > 2_800) {
      lines.push(`… ${timeline.length - lines.length} more (\`clawops incident ${incident.id} --json\` has them all)`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return {
    text: head,
    parts: [
      header(head),
      section(facts.join("\n")),
      section(lines.length ? `*Timeline*\n${lines.join("\n")}` : "*Timeline*\nNothing yet."),
      actions("clawops_incident_actions", [incidentButton("ticket", incident.id)]),
      context(`\`/openclaw postmortem ${incident.id}\` drafts its postmortem from this record.`),
    ],
  };
}
