import { audit } from "../audit/audit.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { pages } from "../paging/policy.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { type Incident, NO_COUNTS, type Severity } from "../ports/incident-book.ts";
import { offersChannel } from "./channel-policy.ts";
import { refreshIncidentHeader, renderLiveHeader } from "./header.ts";
import { queueMirrors } from "./mirrors.ts";
import { newIncident } from "./new-incident.ts";
import { queuePage } from "./outbox.ts";
import { appendTimeline, requireIncident } from "./record.ts";

/**
 * Incidents people start and shape (issue 40, items 4-6): declared by hand before any probe
 * sees anything, their severity changed, hosts added, and every signal they took listed with
 * what became of it.
 */

/** `incident new [sevN] [on <hosts>] <title…>`: opens it in the channel it was typed in, with its header; pages by policy. */
export async function declareIncident(
  deps: CoreDeps,
  o: { actor: string; channel: string; severity: Severity; hosts: readonly string[]; title: string },
): Promise<Incident> {
  const hosts: string[] = [];
  for (const h of o.hosts) hosts.push((await requireHost(deps, h)).name);
  const now = deps.clock.now();
  // A record like any other source's, but the title the person gave and the hosts they named.
  const candidate: Incident = {
    ...newIncident(deps, {
      source: "declared",
      host: hosts[0] ?? "",
      actor: o.actor,
      channel: o.channel,
      causes: [],
      counts: { ...NO_COUNTS, hosts: hosts.length },
      severity: o.severity,
    }),
    title: o.title,
    hosts,
  };
  const id = candidate.id;
  // Its own key: a declared incident stands beside a host's watch or alert incident, not in its place.
  const stored = await deps.store.openIncident(candidate, `declared:${id}`);
  await appendTimeline(deps, deps.store, stored, {
    actor: o.actor,
    kind: "opened",
    text: `declared by hand (${o.severity})${hosts.length ? ` on ${hosts.join(", ")}` : ""}: ${o.title}`,
  });
  // Record first, deliver after: the page is queued before the header is posted.
  await queuePage(deps, stored, "trigger", { summary: o.title });
  const posted = await deps.chat.postMessage({
    channel: o.channel,
    ...renderLiveHeader(stored, now, [], [], offersChannel(deps, stored)),
  });
  const linked = await deps.store.updateIncident(id, ["open", "acknowledged"], {
    threadTs: posted.ts,
    headerAt: now,
    headerStale: false,
  });
  // Announced on its mirrors too (mirrors.ts): queued, never waited on.
  if (linked) await queueMirrors(deps, linked, { op: "root" });
  await audit(deps, {
    at: now,
    actor: o.actor,
    source: "system",
    action: "incident.declare",
    host: hosts[0] ?? null,
    outcome: "ok",
    detail: `${id} (${o.severity}): ${o.title}`.slice(0, 500),
    ref: id,
  });
  return linked ?? stored;
}

/** `incident <id> sev <N>`: a person's severity, on the timeline; an incident that now pages and did not is paged. */
export async function setIncidentSeverity(
  deps: CoreDeps,
  id: string,
  severity: Severity,
  actor: string,
): Promise<Incident> {
  const before = await requireIncident(deps, id);
  if (before.state === "resolved") {
    throw new ClawopsError("incident_resolved", `Incident \`${id}\` is resolved; its severity stays as it was.`, {
      status: 409,
    });
  }
  if (before.severity === severity) return before;
  const moved = await deps.store.updateIncident(id, ["open", "acknowledged"], {
    severity,
    updatedAt: deps.clock.now(),
  });
  if (!moved)
    throw new ClawopsError("incident_resolved", `Incident \`${id}\` was resolved meanwhile.`, { status: 409 });
  await appendTimeline(deps, deps.store, moved, {
    actor,
    kind: "severity",
    text: `severity ${before.severity} → ${severity}`,
  });
  await refreshIncidentHeader(deps, moved, { force: true });
  // Raised to a severity its source pages at: paged now (alerts never: their own pager paged).
  if (deps.paging && pages(deps.paging.policy, moved) && !pages(deps.paging.policy, before)) {
    await queuePage(deps, moved, "trigger", { summary: moved.title });
  }
  return moved;
}

/** `incident <id> add <host>`: the host joins it (a declared or fleet incident growing). */
export async function addIncidentHost(deps: CoreDeps, id: string, host: string, actor: string): Promise<Incident> {
  await requireIncident(deps, id);
  const name = (await requireHost(deps, host)).name;
  const joined = await deps.store.joinIncident(id, name);
  if (!joined)
    throw new ClawopsError("incident_resolved", `Incident \`${id}\` is resolved; no host joins it.`, { status: 409 });
  await appendTimeline(deps, deps.store, joined, { actor, kind: "note", text: `added ${name}` });
  await refreshIncidentHeader(deps, joined, { force: true });
  return joined;
}
