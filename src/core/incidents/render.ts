import { actions, clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { ago, clockTime, isoSeconds, mention } from "../messages/format.ts";
import { incidentButton } from "../messages/incident-buttons.ts";
import type { Message } from "../messages/model.ts";
import type { Incident, IncidentAction, IncidentEvent, IncidentPhase, SignalFate } from "../ports/incident-book.ts";
import type { IncidentTicket } from "../ports/ticket-book.ts";
import { distinctSignals } from "./fired.ts";

/** `/openclaw incidents` and `/openclaw incident <id>` as chat, console and CLI show them. */

/**
 * An incident's icon follows what its hosts are doing (its phase), as its header says, until it
 * is resolved: an open incident whose gateway recovered is not red.
 */
const PHASE_ICON: Record<IncidentPhase, string> = { checking: "⏳", failing: "🔴", recovering: "🟡", recovered: "🟢" };
export function incidentIcon(i: Pick<Incident, "state" | "phase">): string {
  return i.state === "resolved" ? "✅" : PHASE_ICON[i.phase];
}

/** Its state in words with who: `acknowledged (@owner)`, `resolved by @who`, `open`. */
function stateWords(i: Pick<Incident, "state" | "owner" | "resolvedBy" | "phase">): string {
  if (i.state === "resolved") return `resolved${i.resolvedBy ? ` by ${mention(i.resolvedBy)}` : ""}`;
  const phase = i.phase === "failing" ? "" : ` · ${i.phase}`;
  return `${i.state}${i.owner ? ` (${mention(i.owner)})` : ""}${phase}`;
}

/** One line per incident, newest first. */
export function renderIncidentList(incidents: readonly Incident[], scope: "open" | "all", now: number): Message {
  const title = scope === "open" ? "Open incidents" : "Incidents";
  if (incidents.length === 0) {
    const text = scope === "open" ? "No open incidents." : "No incidents yet.";
    return { text, parts: [section(text)] };
  }
  const lines = incidents.map(
    (i) =>
      `${incidentIcon(i)} \`${i.id}\` *${escapeMrkdwn(i.hosts.join(", "))}* · ${stateWords(i)} · ${i.severity} · ${i.source} · opened ${ago(now - i.openedAt)}`,
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

/**
 * One incident: what, state, owner, its tickets, its timeline in order, and *Open ticket* when a
 * ticket system is configured for new tickets (`openTicket`; issue 41: never a button that can
 * only fail).
 */
export function renderIncident(
  incident: Incident,
  timeline: readonly IncidentEvent[],
  tickets: readonly Pick<IncidentTicket, "key" | "url" | "state">[] = [],
  /** Its follow-up actions (issue 41, item 5). */
  followUps: readonly IncidentAction[] = [],
  opts: { openTicket: boolean } = { openTicket: false },
): Message {
  const head = `${incidentIcon(incident)} Incident ${incident.id}: ${incident.title}`;
  const open = followUps.filter((a) => a.state === "open").length;
  const facts = [
    `*State:* ${incident.state}${incident.state === "resolved" ? "" : ` · ${incident.phase}`}`,
    `*Severity:* ${incident.severity}`,
    `*Owner:* ${incident.owner ? mention(incident.owner) : "nobody yet"}`,
    ...(incident.comms || incident.scribe
      ? [
          `*Roles:* comms ${incident.comms ? mention(incident.comms) : "nobody yet"} · scribe ${incident.scribe ? mention(incident.scribe) : "nobody yet"}`,
        ]
      : []),
    `*Source:* ${incident.source}`,
    `*Hosts:* ${escapeMrkdwn(incident.hosts.join(", "))}`,
    `*Opened:* ${isoSeconds(incident.openedAt)} by ${mention(incident.openedBy)}`,
    ...(incident.resolvedAt !== null
      ? [
          `*Resolved:* ${isoSeconds(incident.resolvedAt)}${incident.resolvedBy ? ` by ${mention(incident.resolvedBy)}` : ""}${open > 0 ? ` · ⚠️ ${open} follow-up action${open === 1 ? "" : "s"} still open` : ""}`,
        ]
      : []),
    ...(incident.channel ? [`*Thread:* <#${incident.channel}>`] : []),
    ...(tickets.length
      ? [
          `*Tickets:* ${tickets.map((t) => `${t.url ? `<${t.url}|${escapeMrkdwn(t.key)}>` : escapeMrkdwn(t.key)}${t.state === "closed" ? " (closed)" : ""}`).join(", ")}`,
        ]
      : []),
    ...(followUps.length
      ? [
          `*Follow-up actions:* ${open} open of ${followUps.length} (\`/openclaw incident ${incident.id} actions\` lists them)`,
        ]
      : []),
  ];
  // Slack caps a section at 3,000 characters: the newest entries are the ones cut, with a count.
  const lines = linesWithin(
    timeline.map((e) => `\`${e.seq}\` ${clockTime(e.at)} ${mention(e.actor)} · ${e.kind} · ${escapeMrkdwn(e.text)}`),
    2_800,
    `\`clawops incident ${incident.id} --json\``,
  );
  return {
    text: head,
    parts: [
      header(head),
      section(facts.join("\n")),
      section(lines.length ? `*Timeline*\n${lines.join("\n")}` : "*Timeline*\nNothing yet."),
      ...(opts.openTicket ? [actions("clawops_incident_actions", [incidentButton("ticket", incident.id)])] : []),
      context(`\`/openclaw postmortem ${incident.id}\` drafts its postmortem from this record.`),
    ],
  };
}

/**
 * `incident <id> signals`: what fired (each distinct signal with its count, first and last
 * time, and what became of it), then every signal stored in order, newest cut first past what
 * a message holds (`--json` from the CLI has them all).
 */
export function renderIncidentSignals(incident: Incident, signals: readonly SignalFate[]): Message {
  const head = `Signals of incident ${incident.id}: ${signals.length}`;
  if (signals.length === 0) {
    return { text: head, parts: [section(`*Signals of \`${incident.id}\`*\nNone stored yet.`)] };
  }
  const fired = distinctSignals(signals)
    .slice(0, 30)
    .map(
      (f) =>
        `• ${escapeMrkdwn(f.source)} · *${escapeMrkdwn(clip(f.summary, 120))}* ×${f.count.toLocaleString("en-US")} · first ${clockTime(f.first)}, last ${clockTime(f.last)} · ${f.fates.join(", ")}`,
    );
  const lines = linesWithin(
    signals.map(
      (s) =>
        `\`${s.seq}\` ${clockTime(s.at)} ${escapeMrkdwn(s.source)} · ${escapeMrkdwn(s.host)} · *${s.fate}*${s.why ? ` (${escapeMrkdwn(clip(s.why, 80))})` : ""} · ${escapeMrkdwn(clip(s.summary, 100))}${s.count > 1 ? ` ×${s.count}` : ""}`,
    ),
    2_600,
    `\`clawops incident ${incident.id} --signals --json\``,
  );
  return {
    text: head,
    parts: [
      header(`Signals of incident ${incident.id}`),
      section(clip(`*What fired* (${signals.length} signals)\n${fired.join("\n")}`, 2_900)),
      section(`*Each signal and its fate*\n${lines.join("\n")}`),
    ],
  };
}

/**
 * As many of `all` as fit in `budget` characters, in order; past that one line saying how many
 * more there are and where (`more`) they all are.
 */
function linesWithin(all: readonly string[], budget: number, more: string): string[] {
  const lines: string[] = [];
  let size = 0;
  for (const line of all) {
    if (size + line.length > budget) {
      lines.push(`… ${all.length - lines.length} more (${more} has them all)`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines;
}
