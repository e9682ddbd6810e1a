import { INCIDENT_ID, RUN_ACTION_PREFIX } from "./buttons.ts";
import type { Button } from "./model.ts";

/**
 * The header's role buttons (issue 41, item 1): *I'll do comms* and *I'll scribe* give the role
 * to whoever presses (`incident <id> role comms me`). As with every command button
 * (buttons.ts), a press is the presser's own command, checked strictly: the value must be the
 * exact text clawops puts on the button, and the action id must name the same role and incident.
 */

export type RoleButtonRole = "comms" | "scribe";

const LABELS: Record<RoleButtonRole, string> = { comms: "I'll do comms", scribe: "I'll scribe" };

const text = (role: RoleButtonRole, id: string) => `incident ${id} role ${role} me`;

export function roleButton(role: RoleButtonRole, incidentId: string): Button {
  return {
    actionId: `${RUN_ACTION_PREFIX}role-${role}:${incidentId}`,
    label: LABELS[role],
    value: text(role, incidentId),
  };
}

export type RoleButtonCommand = { ok: true; text: string; incident: string } | { ok: false; reason: string };

/** The command a role button's press stands for; null when it is not a role button. */
export function commandFromRoleButton(actionId: string, value: string | undefined): RoleButtonCommand | null {
  const m = /^clawops_run:role-(comms|scribe):(.*)$/s.exec(actionId);
  if (!m?.[1]) return null;
  const role = m[1] as RoleButtonRole;
  const id = m[2] ?? "";
  const refused = (why: string): RoleButtonCommand => ({
    ok: false,
    reason: `this button's value is not one clawops makes (${why})`,
  });
  if (!INCIDENT_ID.test(id)) return refused("bad incident id");
  if (value !== text(role, id)) return refused("action and value disagree");
  return { ok: true, text: text(role, id), incident: id };
}
