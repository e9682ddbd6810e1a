import { z } from "zod";
import { errorMessage } from "../../contract/errors.ts";
import { ClawopsError } from "../../core/errors.ts";
import { distinctSignals, type FiredSignal } from "../../core/incidents/fired.ts";
import { fleetCause, renderLiveHeader } from "../../core/incidents/header.ts";
import { requireIncident } from "../../core/incidents/record.ts";
import { incidentIcon } from "../../core/incidents/render.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import {
  INCIDENT_SOURCES,
  type Incident,
  type IncidentAction,
  type IncidentEvent,
  SEVERITIES,
  type SignalFate,
} from "../../core/ports/incident-book.ts";
import { postmortemOf } from "../../core/tickets/draft.ts";
import { messageToHtml, mrkdwnToHtml } from "./html.ts";
import { iconRef } from "./icons.ts";

/**
 * The console's incident pages (issue 41, item 6) as JSON the page draws itself: the list, and
 * one incident with its header, roles, timeline, signals, tickets and postmortem draft. Read from
 * the core's own functions (the incident book, the live header, the postmortem draft), so the
 * pages say what Slack and `clawops incident` say. Every string a person or a host wrote goes to
 * the page as text; the only HTML is what the console's renderer (html.ts) made, escaped first,
 * as for every channel message.
 */

/** As many incidents as the list reads before filtering: more than any team keeps open. */
const LIST_READ = 2_000;
/** As many rows as one list answer holds (the rest are counted). */
const LIST_ROWS = 200;
/** As many signals as the page lists one by one (the newest); `fired` sums them all. */
const SIGNAL_ROWS = 500;

/** A form's empty choice ("any") is no filter. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" || v === null ? undefined : v), schema.optional());

/** The list's query string: `scope=open|all`, `host`, `severity`, `source`. */
export const IncidentListQuery = z.object({
  scope: optional(z.enum(["open", "all"])).transform((s) => s ?? "open"),
  host: optional(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "a host name (letters, digits, hyphens)")),
  severity: optional(z.enum(SEVERITIES)),
  source: optional(z.enum(INCIDENT_SOURCES)),
});
export type IncidentListQuery = z.infer<typeof IncidentListQuery>;

/** The query as the list route reads it; a bad filter is a 400 that names it. */
export function parseListQuery(query: Record<string, string>): IncidentListQuery {
  const parsed = IncidentListQuery.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawopsError(
      "bad_request",
      `Bad incident filter \`${String(issue?.path[0] ?? "?")}\`: ${issue?.message ?? "invalid"}. Use scope=open|all, host=<host>, severity=${SEVERITIES.join("|")}, source=${INCIDENT_SOURCES.join("|")}.`,
    );
  }
  return parsed.data;
}

/** One row of the list: what `clawops incidents` says of it, with its icon as the page's sprite. */
export function incidentRow(i: Incident) {
  return {
    id: i.id,
    icon: iconRef(incidentIcon(i)),
    severity: i.severity,
    state: i.state,
    phase: i.phase,
    source: i.source,
    title: i.title,
    hosts: i.hosts,
    owner: i.owner,
    openedAt: i.openedAt,
    openedBy: i.openedBy,
    resolvedAt: i.resolvedAt,
    resolvedBy: i.resolvedBy,
  };
}

/** `GET /api/console/incident-pages`: the newest first, filtered; the choices the filters offer. */
export async function incidentListView(deps: CoreDeps, q: IncidentListQuery) {
  const read = await deps.store.listIncidents({ open: q.scope === "open", limit: LIST_READ });
  const matched = read.filter(
    (i) =>
      (!q.host || i.hosts.includes(q.host)) &&
      (!q.severity || i.severity === q.severity) &&
      (!q.source || i.source === q.source),
  );
  const enrolled = (await deps.store.listHosts()).map((h) => h.name);
  return {
    ok: true as const,
    scope: q.scope,
    filters: { host: q.host ?? null, severity: q.severity ?? null, source: q.source ?? null },
    choices: {
      hosts: [...new Set([...enrolled, ...read.flatMap((i) => i.hosts)])].sort(),
      severities: SEVERITIES,
      sources: INCIDENT_SOURCES,
    },
    total: matched.length,
    incidents: matched.slice(0, LIST_ROWS).map(incidentRow),
  };
}

/** `GET /api/console/incident-pages/:id`: everything its page shows, in one answer. */
export async function incidentPageView(deps: CoreDeps, id: string) {
  const incident = await requireIncident(deps, id);
  const [timeline, signals, tickets, cause, followUps] = await Promise.all([
    deps.store.incidentTimeline(incident.id),
    deps.store.listSignals({ incidentId: incident.id, limit: 2_000 }),
    deps.store.incidentTickets(incident.id),
    fleetCause(deps, incident),
    deps.store.listIncidentActions({ incidentId: incident.id }),
  ]);
  const fired: FiredSignal[] = distinctSignals(signals);
  const header = renderLiveHeader(incident, deps.clock.now(), cause, fired);
  return {
    ok: true as const,
    incident: {
      ...incidentRow(incident),
      parentId: incident.parentId,
      acknowledgedAt: incident.acknowledgedAt,
      updatedAt: incident.updatedAt,
      lastSignalAt: incident.lastSignalAt,
      counts: incident.counts,
    },
    header: { text: header.text, html: messageToHtml(header) },
    roles: rolesOf(incident),
    actions: actionsOf(followUps),
    timeline: timeline.map(timelineEntry),
    signals: {
      total: signals.length,
      fired,
      list: signals.slice(-SIGNAL_ROWS).map((s: SignalFate) => ({ ...s })),
    },
    tickets: tickets.map((t) => ({
      system: t.system,
      key: t.key,
      // Only a web address is a link: a tracker's URL is data the page must not run.
      url: t.url && /^https?:\/\//i.test(t.url) ? t.url : null,
      state: t.state,
      host: t.host,
      finding: t.finding,
      openedAt: t.openedAt,
      openedBy: t.openedBy,
    })),
    postmortem: await postmortemPreview(deps, incident.id),
  };
}

/** A timeline entry with its one line of mrkdwn drawn as the channel draws it; any kind, known or not. */
function timelineEntry(e: IncidentEvent) {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    kind: String(e.kind),
    text: e.text,
    ref: e.ref,
    html: mrkdwnToHtml(e.text),
  };
}

/** The draft, or why there is none: the rest of the page stands either way. */
async function postmortemPreview(
  deps: CoreDeps,
  id: string,
): Promise<{ filename: string; markdown: string } | { error: string }> {
  try {
    return await postmortemOf(deps, id);
  } catch (err) {
    deps.logger.warn("console postmortem preview not drawn", { incident: id, err: errorMessage(err) });
    return { error: `The postmortem draft could not be drawn: ${errorMessage(err)}`.slice(0, 500) };
  }
}

export interface RoleView {
  role: string;
  user: string | null;
}

/** Who holds which role (issue 41, item 1): the commander is the owner ("I'm on it"), then comms and scribe. */
export function rolesOf(incident: Incident): RoleView[] {
  return [
    { role: "commander", user: incident.owner },
    { role: "comms", user: incident.comms },
    { role: "scribe", user: incident.scribe },
  ];
}

export interface ActionView {
  text: string;
  /** Its other plain fields (owner, state, ticket, …) as the record names them. */
  fields: [string, string][];
}

/** The incident's follow-up actions (issue 41, item 5), oldest first, each with its owner and state. */
export function actionsOf(actions: readonly IncidentAction[]): ActionView[] {
  return actions.map((a) => ({
    text: `${a.n}. ${a.text}`,
    fields: [
      ["owner", a.owner ?? "nobody yet"],
      ["state", a.state === "done" ? `done${a.doneBy ? ` by ${a.doneBy}` : ""}` : "open"],
      ["recorded by", a.createdBy],
    ],
  }));
}
