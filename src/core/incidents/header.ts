import { errorMessage } from "../../contract/errors.ts";
import { actions, clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { incidentButton } from "../messages/buttons.ts";
import { clockTime, duration, isoSeconds, mention } from "../messages/format.ts";
import { incidentButton as incidentCommandButton } from "../messages/incident-buttons.ts";
import type { Button, Message } from "../messages/model.ts";
import { roleButton } from "../messages/role-buttons.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentCounts } from "../ports/incident-book.ts";
import { offersChannel } from "./channel-policy.ts";
import { distinctSignals, type FiredSignal } from "./fired.ts";
import { sharedCause } from "./grouping.ts";
import { queueMirrors } from "./mirrors.ts";

/**
 * The incident's header: its thread's parent message, which tells the truth now. It shows what
 * the hosts are doing (failing, recovering, recovered) or that it is resolved, who owns it and
 * what it has taken in, and is edited in place as that changes, instead of posting more. Under a
 * storm the edits are held to one per HEADER_EDIT_EVERY_MS: a held edit marks the header stale,
 * and the periodic sweep (refreshStaleHeaders) catches it up.
 */

/** At most one edit of a header per this interval, except for a change of state or owner. */
export const HEADER_EDIT_EVERY_MS = 10_000;

const PHASE_WORDS: Record<Incident["phase"], string> = {
  checking: "⏳ Checking: a triage is running, no layer known to fail yet",
  failing: "🔴 Failing",
  recovering: "🛠 Recovering",
  recovered: "🟢 Recovered",
};

/** Slack keeps a header block to 150 characters; the host table to what a section takes. */
const TABLE_ROWS = 12;

export function renderLiveHeader(
  incident: Incident,
  now: number,
  /** A fleet incident's shared cause ("is it us or upstream?", grouping.ts sharedCause), as of now. */
  cause: readonly string[] = [],
  /** What fired (fired.ts): the distinct signals with counts and first/last time, most first. */
  fired: readonly FiredSignal[] = [],
  /** Offer *Open a channel* (incident channels on, none yet: channel-policy.ts offersChannel). */
  channelButton = false,
  /** Its follow-up actions still open (issue 41, item 5): a resolved header says so. */
  openActions = 0,
): Message {
  const subject =
    incident.source === "fleet"
      ? `Fleet incident: ${incident.hosts.length} hosts · ${incident.title}`
      : `Incident: ${incident.title}`;
  const status =
    incident.state === "resolved"
      ? `✅ Resolved${incident.resolvedBy ? ` by ${mention(incident.resolvedBy)}` : ""}${incident.resolvedAt !== null ? ` at ${isoSeconds(incident.resolvedAt)}, ${duration(incident.resolvedAt - incident.openedAt)} after it opened` : ""}${openActions > 0 ? ` · ${openActions} follow-up action${openActions === 1 ? "" : "s"} still open` : ""}`
      : `${PHASE_WORDS[incident.phase]} · ${incident.owner ? `owner ${mention(incident.owner)}` : "nobody has taken it yet"}`;
  const facts = [
    `*Status:* ${status}`,
    `*Severity:* ${incident.severity}`,
    ...(incident.comms || incident.scribe ? [`*Roles:* ${rolesLine(incident)}`] : []),
    `Opened by ${mention(incident.openedBy)} at ${isoSeconds(incident.openedAt)} (${incident.source}) · \`${incident.id}\``,
    ...(countsLine(incident.counts) ? [`*Signals:* ${countsLine(incident.counts)}`] : []),
    `*First and last signal:* ${isoSeconds(incident.openedAt)} · ${isoSeconds(Math.max(incident.lastSignalAt, incident.openedAt))}`,
  ];
  if (fired.length > 1) {
    const top = fired
      .slice(0, 3)
      .map(
        (f) =>
          `${escapeMrkdwn(clip(f.summary, 60))} ×${f.count.toLocaleString("en-US")} (${clockTime(f.first)}–${clockTime(f.last)})`,
      );
    const more = fired.length > 3 ? ` · ${fired.length - 3} more: \`/openclaw incident ${incident.id} signals\`` : "";
    facts.push(`*What fired:* ${top.join(" · ")}${more}`);
  }
  if (incident.ownChannel) facts.push(`*Channel:* <#${incident.ownChannel}>`);
  if (incident.parentId) {
    facts.push(`*Grouped into:* fleet incident \`${incident.parentId}\` (its thread has the host table)`);
  }
  const parts: Message["parts"] = [header(`🚨 ${subject}`), section(facts.join("\n"))];
  if (incident.source === "fleet") {
    if (cause.length > 0) parts.push(section(clip(`*Shared cause*\n${cause.map((l) => `• ${l}`).join("\n")}`, 2_900)));
    const shown = incident.hosts.slice(0, TABLE_ROWS).map((h) => `• *${escapeMrkdwn(h)}*`);
    const more = incident.hosts.length - shown.length;
    parts.push(section(clip(`*Hosts*\n${shown.join("\n")}${more > 0 ? `\n… and ${more} more` : ""}`, 2_900)));
  }
  if (incident.state !== "resolved") {
    parts.push(
      actions("clawops_incident_actions", [
        ...incidentButtons(incident),
        ...(channelButton ? [incidentCommandButton("channel", incident.id)] : []),
      ]),
    );
  }
  parts.push(
    context(
      incident.state === "resolved"
        ? `Resolved incidents stay as they are; a new failure opens a new incident. \`/openclaw incident ${incident.id}\` shows its timeline.`
        : `Triage results, freezes and bundles go in this thread. Updated ${isoSeconds(now)}.`,
    ),
  );
  // The text (notifications, search) names the incident as the thread's first header did.
  return { text: subject, parts };
}

function countsLine(c: IncidentCounts): string {
  const words: [number, string, string][] = [
    [c.alerts, "alert fired", "alerts fired"],
    [c.alertsResolved, "resolved", "resolved"],
    [c.watch, "watch failure", "watch failures"],
    [c.silences, "silence", "silences"],
    [c.triages, "triage", "triages"],
  ];
  return words
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`)
    .join(" · ");
}

/** Who holds each role (issue 41, item 1): `commander @U1 · comms @U2 · scribe nobody yet`. */
function rolesLine(incident: Incident): string {
  const held = (user: string | null) => (user ? mention(user) : "nobody yet");
  return `commander ${held(incident.owner)} · comms ${held(incident.comms)} · scribe ${held(incident.scribe)}`;
}

/**
 * "I'm on it" (while nobody owns it), "I'll do comms" and "I'll scribe" (the role to whoever
 * presses, handed over from whoever held it) and "Resolve" (with a confirmation).
 */
function incidentButtons(incident: Incident): Button[] {
  return [
    ...(incident.owner ? [] : [incidentButton("ack", incident.id, incident.hosts)]),
    roleButton("comms", incident.id),
    roleButton("scribe", incident.id),
    incidentButton("resolve", incident.id, incident.hosts),
  ];
}

/**
 * Edits the incident's header to what its record says now. `force` (a new state, owner or phase)
 * edits at once; otherwise at most one edit per HEADER_EDIT_EVERY_MS, the held one marked stale
 * for the sweep. Never throws: a header that could not be edited is logged and marked stale.
 */
export async function refreshIncidentHeader(
  deps: Pick<CoreDeps, "store" | "chat" | "clock" | "ids" | "logger" | "incidentChannels" | "incidents">,
  incident: Incident,
  opts: { force?: boolean } = {},
): Promise<void> {
  const now = deps.clock.now();
  try {
    const latest = (await deps.store.getIncident(incident.id)) ?? incident;
    if (!latest.channel || !latest.threadTs) return;
    if (!opts.force && latest.headerAt !== null && now - latest.headerAt < HEADER_EDIT_EVERY_MS) {
      if (!latest.headerStale) await deps.store.updateIncident(latest.id, [latest.state], { headerStale: true });
      return;
    }
    const header = await currentHeader(deps, latest, now);
    await deps.chat.updateMessage({ channel: latest.channel, ts: latest.threadTs, ...header });
    // Its channel's copy (issue 41, item 2): the same header; a failed edit there holds back neither.
    if (latest.ownChannel && latest.ownChannelTs) {
      await deps.chat
        .updateMessage({ channel: latest.ownChannel, ts: latest.ownChannelTs, ...header })
        .catch((err: unknown) =>
          deps.logger.warn("incident header not edited in its channel", {
            incident: latest.id,
            err: errorMessage(err),
          }),
        );
    }
    await deps.store.updateIncident(latest.id, [latest.state], { headerAt: now, headerStale: false });
    // Its mirrors on other chats (issue 43, item 5): an edit queued in the outbox, never waited on.
    await queueMirrors(deps, latest, { op: "header" });
  } catch (err) {
    deps.logger.warn("incident header not edited", { incident: incident.id, err: errorMessage(err) });
    await deps.store.updateIncident(incident.id, [incident.state], { headerStale: true }).catch(() => {});
  }
}

/** The header as the record says now: what fired, its shared cause, its open follow-up actions. */
export async function currentHeader(
  deps: Pick<CoreDeps, "store" | "chat" | "incidentChannels">,
  incident: Incident,
  now: number,
): Promise<Message> {
  const fired = distinctSignals(await deps.store.listSignals({ incidentId: incident.id, limit: 2_000 }));
  const openActions =
    incident.state === "resolved"
      ? (await deps.store.listIncidentActions({ incidentId: incident.id, open: true })).length
      : 0;
  return renderLiveHeader(
    incident,
    now,
    await fleetCause(deps, incident),
    fired,
    offersChannel(deps, incident),
    openActions,
  );
}

/** A fleet incident's shared cause as of now, against the enrolled hosts; none for a host incident. */
export async function fleetCause(deps: Pick<CoreDeps, "store">, incident: Incident): Promise<string[]> {
  if (incident.source !== "fleet") return [];
  return sharedCause(incident.causes[0] ?? "", incident.hosts, await deps.store.listHosts());
}

/** The periodic catch-up: every header an edit was held back from, edited now. */
export async function refreshStaleHeaders(
  deps: Pick<CoreDeps, "store" | "chat" | "clock" | "ids" | "logger" | "incidentChannels" | "incidents">,
): Promise<number> {
  const due = await deps.store.staleHeaders(deps.clock.now() - HEADER_EDIT_EVERY_MS);
  for (const incident of due) await refreshIncidentHeader(deps, incident, { force: true });
  return due.length;
}

/** The line in a grouped host's own thread. */
export function renderGroupedNote(member: Incident, fleet: Incident): Message {
  const text = `📋 Grouped into fleet incident ${fleet.id}: ${fleet.hosts.length} hosts, ${fleet.title}`;
  return {
    text,
    parts: [
      section(
        `${escapeMrkdwn(text)}. Its thread${fleet.channel ? ` in <#${fleet.channel}>` : ""} has the host table; this thread keeps *${escapeMrkdwn(member.hosts.join(", "))}*'s own triage.`,
      ),
    ],
  };
}
