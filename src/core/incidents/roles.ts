import { ClawopsError } from "../errors.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentPatch, IncidentRole } from "../ports/incident-book.ts";
import { refreshIncidentHeader } from "./header.ts";
import { queuePage } from "./outbox.ts";
import { observeTimes } from "./pipeline.ts";
import { requireIncident } from "./record.ts";

/**
 * Incident roles (issue 41, item 1), as incident.io and Rootly name them: the commander (the
 * incident's `owner`, who "I'm on it" makes), communications (status updates to the people
 * affected) and the scribe (keeps the record). Set and handed over from the header's buttons or
 * `incident <id> role <role> <user>`; each change is one timeline entry saying who took it from
 * whom, and the header is edited at once. The caller authorizes and audits.
 */

/** Who holds `role` on the incident now; null while nobody does. */
export function roleHolder(incident: Pick<Incident, "owner" | "comms" | "scribe">, role: IncidentRole): string | null {
  return role === "commander" ? incident.owner : incident[role];
}

/** A user as a timeline line names them: `@U0123` for a Slack user, else the name (`console`). */
export function who(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `@${user}` : user;
}

export interface RoleChange {
  incident: Incident;
  /** Who held it before; null: nobody. */
  previous: string | null;
  /** False when `user` held it already (nothing was written). */
  changed: boolean;
}

/**
 * Gives `role` to `user`, by `actor`. Refused with `incident_resolved`, changing nothing, when
 * the incident is resolved (or a resolve wins the race: the write is conditional on its state).
 * A commander taken on an open incident acknowledges it, as "I'm on it" does (MTTA, the pager).
 */
export async function setIncidentRole(
  deps: CoreDeps,
  o: { id: string; role: IncidentRole; user: string; actor: string },
): Promise<RoleChange> {
  const incident = await requireIncident(deps, o.id);
  if (incident.state === "resolved") throw resolvedError(incident);
  const previous = roleHolder(incident, o.role);
  if (previous === o.user) return { incident, previous, changed: false };
  const now = deps.clock.now();
  const patch: IncidentPatch =
    o.role === "commander"
      ? {
          owner: o.user,
          updatedAt: now,
          ...(incident.state === "open"
            ? { state: "acknowledged", acknowledgedAt: incident.acknowledgedAt ?? now }
            : {}),
        }
      : { [o.role]: o.user, updatedAt: now };
  const updated = await deps.store.updateIncident(o.id, ["open", "acknowledged"], patch);
  if (!updated) throw resolvedError((await deps.store.getIncident(o.id)) ?? incident);
  await deps.store.appendIncidentEvent({
    incidentId: o.id,
    at: now,
    actor: o.actor,
    kind: "role",
    text: roleText(o.role, o.user, o.actor, previous),
    ref: null,
  });
  if (incident.state === "open" && updated.state === "acknowledged") {
    observeTimes(deps, incident, updated);
    await queuePage(deps, updated, "acknowledge", { by: o.user });
  }
  await refreshIncidentHeader(deps, updated, { force: true });
  return { incident: updated, previous, changed: true };
}

/** The timeline's words: `took scribe from @U0ALICE`, `handed comms to @U0BOB`, `made @U0BOB scribe`. */
function roleText(role: IncidentRole, user: string, actor: string, previous: string | null): string {
  if (user === actor) return `took ${role}${previous ? ` from ${who(previous)}` : ""}`;
  if (previous === actor) return `handed ${role} to ${who(user)}`;
  return `made ${who(user)} ${role}${previous ? ` (was ${who(previous)})` : ""}`;
}

function resolvedError(incident: Incident): ClawopsError {
  return new ClawopsError(
    "incident_resolved",
    `Incident \`${incident.id}\` was resolved${incident.resolvedBy ? ` by ${who(incident.resolvedBy)}` : ""}; its roles stay as they were and nothing was changed. A new failure opens a new incident.`,
    { status: 409 },
  );
}
