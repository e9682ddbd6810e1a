import { errorMessage } from "../../contract/errors.ts";
import { ClawopsError } from "../errors.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentBook, IncidentEventKind, IncidentState } from "../ports/incident-book.ts";

/**
 * The incident as a record (docs/incidents.md): the pipeline writes what raised it and every
 * signal after into one timeline; ack and resolve move its state. Every store keeps the
 * record (the Store port includes IncidentBook).
 */

type RecordDeps = Pick<CoreDeps, "store" | "clock" | "ids" | "logger">;

export interface TimelineEntry {
  actor: string;
  kind: IncidentEventKind;
  text: string;
  ref?: string | null;
}

/**
 * Something that happened to the host's open incident (a triage's findings, a recovery, an
 * alert resolved): appended to its timeline; nothing when none is open. Logged, never thrown.
 */
export async function noteTimeline(deps: RecordDeps, host: string, entry: TimelineEntry): Promise<Incident | null> {
  try {
    const incident = await deps.store.findOpenIncident(host);
    if (!incident) return null;
    await append(deps, deps.store, incident, entry);
    return incident;
  } catch (err) {
    deps.logger.error("incident timeline not written", { host, err: errorMessage(err) });
    return null;
  }
}

/**
 * The thread the incident is told in, recorded on it (an incident a command opened learns the
 * thread its triage opens). `headerCurrent`: the thread was posted with this incident's header
 * just now. Logged, never thrown.
 */
export async function linkThread(
  deps: RecordDeps,
  incident: Incident,
  thread: { channel: string; threadTs: string },
  headerCurrent: boolean,
): Promise<Incident | null> {
  try {
    return await deps.store.updateIncident(incident.id, ["open", "acknowledged"], {
      ...thread,
      ...(headerCurrent ? { headerAt: deps.clock.now(), headerStale: false } : { headerStale: true }),
    });
  } catch (err) {
    deps.logger.error("incident thread not recorded", { incident: incident.id, err: errorMessage(err) });
    return null;
  }
}

/** Appends `entry` to the incident's timeline (and moves its updatedAt). Logged, never thrown. */
export async function appendTimeline(
  deps: RecordDeps,
  book: IncidentBook,
  incident: Incident,
  entry: TimelineEntry,
): Promise<void> {
  try {
    await append(deps, book, incident, entry);
  } catch (err) {
    deps.logger.error("incident timeline not written", { incident: incident.id, err: errorMessage(err) });
  }
}

async function append(deps: RecordDeps, book: IncidentBook, incident: Incident, entry: TimelineEntry): Promise<void> {
  const at = deps.clock.now();
  await book.appendIncidentEvent({
    incidentId: incident.id,
    at,
    actor: entry.actor,
    kind: entry.kind,
    text: entry.text.slice(0, 500),
    ref: entry.ref ?? null,
  });
  await book.updateIncident(incident.id, ["open", "acknowledged"], { updatedAt: at });
}

/**
 * When the evidence says the incident's failure began (an alert's `startsAt`), kept when it is
 * earlier than what the record knows: the postmortem's impact window starts there. Logged,
 * never thrown.
 */
export async function noteEvidenceAt(deps: RecordDeps, incident: Incident, at: number): Promise<void> {
  if (incident.evidenceAt != null && incident.evidenceAt <= at) return;
  try {
    await deps.store.updateIncident(incident.id, ["open", "acknowledged", "resolved"], { evidenceAt: at });
  } catch (err) {
    deps.logger.error("incident evidence time not written", { incident: incident.id, err: errorMessage(err) });
  }
}

/** The incident `id`, or `unknown_incident` in words that say where ids are listed. */
export async function requireIncident(deps: Pick<CoreDeps, "store">, id: string): Promise<Incident> {
  const incident = await deps.store.getIncident(id);
  if (!incident) {
    throw new ClawopsError(
      "unknown_incident",
      `No incident \`${id.slice(0, 60)}\`. \`/openclaw incidents all\` lists them with their ids.`,
      { status: 404 },
    );
  }
  return incident;
}

/**
 * Moves an incident on: `acknowledged` with an owner ("I'm on it"), or `resolved`. Refused
 * with a clear error, changing nothing, when it is already resolved (or another change won).
 * The caller authorizes (resolve is a mutating action) and audits.
 */
export async function moveIncident(
  deps: RecordDeps,
  id: string,
  to: Exclude<IncidentState, "open">,
  actor: string,
): Promise<Incident> {
  const incident = await requireIncident(deps, id);
  const now = deps.clock.now();
  const from: IncidentState[] = ["open", "acknowledged"];
  const moved = await deps.store.updateIncident(
    id,
    from,
    to === "acknowledged"
      ? { state: "acknowledged", owner: actor, updatedAt: now, acknowledgedAt: incident.acknowledgedAt ?? now }
      : { state: "resolved", resolvedAt: now, resolvedBy: actor, updatedAt: now },
  );
  if (!moved) {
    const latest = (await deps.store.getIncident(id)) ?? incident;
    throw new ClawopsError(
      "incident_resolved",
      `Incident \`${id}\` was resolved${latest.resolvedBy ? ` by ${latest.resolvedBy}` : ""} already; nothing was changed. A new failure opens a new incident.`,
      { status: 409 },
    );
  }
  await deps.store.appendIncidentEvent({
    incidentId: id,
    at: now,
    actor,
    kind: to,
    text: to === "acknowledged" ? "took ownership" : "resolved the incident",
    ref: null,
  });
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Timeline entries the workflows write (issue 29, items 1 and 6-8): freezes, presses, approvals,
// recovery steps, bundles, tickets, PagerDuty, postmortems. Logged, never thrown.
// ---------------------------------------------------------------------------------------------

/**
 * Appends to one incident's timeline, whatever its state: a ticket opened or a postmortem
 * drafted after the resolve belongs to it too. Null when the incident is unknown or the
 * write failed (logged).
 */
export async function noteIncidentEvent(
  deps: RecordDeps,
  incident: Incident | string,
  entry: TimelineEntry,
): Promise<Incident | null> {
  const id = typeof incident === "string" ? incident : incident.id;
  try {
    const record = typeof incident === "string" ? await deps.store.getIncident(incident) : incident;
    if (!record) return null;
    await append(deps, deps.store, record, entry);
    return record;
  } catch (err) {
    deps.logger.error("incident timeline not written", { incident: id, err: errorMessage(err) });
    return null;
  }
}

/** Appends to every open incident's timeline (a fleet-wide freeze); how many were written. */
export async function noteOpenIncidents(deps: RecordDeps, entry: TimelineEntry): Promise<number> {
  let written = 0;
  try {
    for (const incident of await deps.store.listIncidents({ open: true, limit: 500 })) {
      if (await noteIncidentEvent(deps, incident, entry)) written++;
    }
  } catch (err) {
    deps.logger.error("open incidents not listed for the timeline", { err: errorMessage(err) });
  }
  return written;
}
