import { errorMessage } from "../../../contract/errors.ts";
import { audit } from "../../audit/audit.ts";
import type { CoreDeps } from "../../ports/deps.ts";
import {
  type Incident,
  type IncidentBook,
  type IncidentCounter,
  type IncidentCounts,
  NO_COUNTS,
} from "../../ports/incident-book.ts";
import type { HostRecord } from "../../ports/store.ts";
import { offersChannel } from "../channel-policy.ts";
import { causeTitle, DEFAULT_GROUPING, groupFor } from "../grouping.ts";
import { fleetCause, refreshIncidentHeader, renderGroupedNote, renderLiveHeader } from "../header.ts";
import { queueMirrors } from "../mirrors.ts";
import { newIncident } from "../new-incident.ts";
import { appendTimeline } from "../record.ts";
import { COUNTER, type IncidentSignal, type Taken } from "../signal.ts";

/** The fleet stage: hosts failing together with one cause are one fleet incident (grouping.ts). */

/**
 * Fleet grouping: the host joins the open fleet incident that shares one of its causes, or its
 * failure makes one with the host incidents of the window (incidents/grouping.ts), which are
 * linked to it. Either way the signal is counted there: no page for this host.
 */
export async function groupInto(
  deps: CoreDeps,
  book: IncidentBook,
  signal: IncidentSignal,
  channel: string,
  causes: string[],
  fleet: HostRecord[],
): Promise<Taken | null> {
  const policy = deps.grouping ?? DEFAULT_GROUPING;
  if (!policy || causes.length === 0) return null;
  const now = deps.clock.now();
  const counter = COUNTER[signal.source];
  const n = signal.count ?? 1;
  const open = await book.listIncidents({ open: true, limit: 500 });
  const joined = open.find((i) => i.source === "fleet" && i.causes.some((k) => causes.includes(k)));
  if (joined) {
    await book.joinIncident(joined.id, signal.host);
    const counted = (await book.countIncident(joined.id, { [counter]: n, hosts: 1 }, now)) ?? joined;
    return { incident: counted, opened: false, counted: true };
  }
  const decision = groupFor(signal.host, causes, open, fleet, now, policy);
  if (!decision) return null;
  const hosts = [...new Set([...decision.members.flatMap((m) => m.hosts), signal.host])];
  const candidate: Incident = {
    ...newIncident(deps, {
      source: "fleet",
      host: signal.host,
      actor: signal.actor,
      channel,
      causes: [decision.key],
      counts: {
        ...NO_COUNTS,
        ...sumCounts([...decision.members.map((m) => m.counts), { ...NO_COUNTS, [counter]: n }]),
        hosts: hosts.length,
      },
    }),
    title: `${causeTitle(decision.key)}`,
    hosts,
  };
  const stored = await book.openIncident(candidate, `fleet:${decision.key}`);
  if (stored.id !== candidate.id) {
    // Another signal opened it a moment ago: join it.
    await book.joinIncident(stored.id, signal.host);
    return { incident: stored, opened: false, counted: true };
  }
  const members: Incident[] = [];
  for (const m of decision.members) {
    const linked = await book.updateIncident(m.id, ["open", "acknowledged"], { parentId: stored.id });
    if (linked) members.push(linked);
  }
  return { incident: stored, opened: false, counted: true, fleet: { incident: stored, members } };
}

function sumCounts(all: IncidentCounts[]): IncidentCounts {
  const sum = { ...NO_COUNTS };
  for (const c of all) for (const k of Object.keys(sum) as IncidentCounter[]) sum[k] += c[k];
  return sum;
}

/**
 * A fleet incident just opened: its own thread (the header with the host table, then what the
 * hosts share and what that makes likely), and a line in each grouped host's thread pointing
 * to it. Failures are logged: the record stands either way.
 */
export async function announceFleet(
  deps: CoreDeps,
  opened: { incident: Incident; members: Incident[] },
  signal: IncidentSignal,
): Promise<void> {
  const { incident } = opened;
  if (!incident.channel) return;
  try {
    const cause = await fleetCause(deps, incident);
    const parent = await deps.chat.postMessage({
      channel: incident.channel,
      ...renderLiveHeader(incident, deps.clock.now(), cause, [], offersChannel(deps, incident)),
    });
    const linked = await deps.store.updateIncident(incident.id, ["open", "acknowledged"], {
      threadTs: parent.ts,
      headerAt: deps.clock.now(),
      headerStale: false,
    });
    // Announced on its mirrors too (mirrors.ts): queued, never waited on.
    if (linked) await queueMirrors(deps, linked, { op: "root" });
    await appendTimeline(deps, deps.store, incident, {
      actor: signal.actor,
      kind: "grouped",
      text: `${incident.hosts.length} hosts failing together: ${incident.title}. ${cause.join(" ")}`,
    });
    await audit(deps, {
      at: deps.clock.now(),
      actor: signal.actor,
      source: "system",
      action: "incident.fleet",
      host: null,
      outcome: "info",
      detail: `${incident.id}: ${incident.hosts.length} hosts, ${incident.title}`.slice(0, 500),
      ref: incident.id,
    });
  } catch (err) {
    deps.logger.error("fleet incident not announced", { incident: incident.id, err: errorMessage(err) });
  }
  for (const member of opened.members) await tellGrouped(deps, member.id);
}

/**
 * The line in a grouped host incident's own thread pointing to its fleet incident, and its
 * header edited to say so: once, by whoever gets there first with the thread known (the fleet
 * incident's opening, or the host's own announcement if its thread was still being posted).
 */
export async function tellGrouped(deps: CoreDeps, memberId: string): Promise<void> {
  try {
    const member = await deps.store.getIncident(memberId);
    const fleet = member?.parentId ? await deps.store.getIncident(member.parentId) : null;
    if (!member || !fleet || !member.channel || !member.threadTs) return;
    const now = deps.clock.now();
    if (!(await deps.store.claim(`grouped-note:${member.id}`, now, now + 7 * 24 * 3_600_000))) return;
    await deps.chat.postMessage({
      channel: member.channel,
      threadTs: member.threadTs,
      ...renderGroupedNote(member, fleet),
    });
    await appendTimeline(deps, deps.store, member, {
      actor: "clawops",
      kind: "grouped",
      text: `grouped into fleet incident ${fleet.id} (${fleet.title})`,
      ref: fleet.id,
    });
    await refreshIncidentHeader(deps, member, { force: true });
  } catch (err) {
    deps.logger.warn("grouped incident not told", { incident: memberId, err: errorMessage(err) });
  }
}
