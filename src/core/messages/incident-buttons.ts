import { INCIDENT_ID, RUN_ACTION_PREFIX } from "./buttons.ts";
import type { Button } from "./model.ts";

/**
 * Command buttons that act on an incident rather than a host (issue 29, item 6): *Open ticket*
 * (`ticket <incident> new`) and *Renew bundle link* (`ticket <incident> renew`). As with the
 * host buttons (buttons.ts), a press is the presser's own command, checked strictly: the value
 * must be exactly the text clawops puts on the button, and the action id must name the same
 * kind and incident.
 */

const PREFIX = RUN_ACTION_PREFIX;

export type IncidentButtonKind = "ticket" | "ticket-renew" | "channel";

const TEXT: Record<IncidentButtonKind, (id: string) => string> = {
  ticket: (id) => `ticket ${id} new`,
  "ticket-renew": (id) => `ticket ${id} renew`,
  // Issue 41, item 2: the incident's own channel.
  channel: (id) => `incident ${id} channel`,
};

const LABELS: Record<IncidentButtonKind, string> = {
  ticket: "Open ticket",
  "ticket-renew": "Renew bundle link",
  channel: "Open a channel",
};

export function incidentButton(kind: IncidentButtonKind, incidentId: string): Button {
  const button: Button = {
    actionId: `${PREFIX}${kind}:${incidentId}`,
    label: LABELS[kind],
    value: TEXT[kind](incidentId),
  };
  if (kind !== "ticket") return button;
  return {
    ...button,
    confirm: {
      title: "Open a ticket?",
      text: `Open a ticket for incident \`${incidentId}\` with its summary, findings, timeline and bundle (or comment on the one already open for the same host and top finding).`,
      confirm: "Open ticket",
      deny: "Cancel",
    },
  };
}

export type IncidentButtonCommand = { ok: true; text: string; incident: string } | { ok: false; reason: string };

/** The command an incident button's press stands for; null when it is not an incident button. */
export function commandFromIncidentButton(actionId: string, value: string | undefined): IncidentButtonCommand | null {
  const m = /^clawops_run:(ticket|ticket-renew|channel):(.*)$/s.exec(actionId);
  if (!m?.[1]) return null;
  const kind = m[1] as IncidentButtonKind;
  const id = m[2] ?? "";
  const refused = (why: string): IncidentButtonCommand => ({
    ok: false,
    reason: `this button's value is not one clawops makes (${why})`,
  });
  if (!INCIDENT_ID.test(id)) return refused("bad incident id");
  if (value !== TEXT[kind](id)) return refused("action and value disagree");
  return { ok: true, text: TEXT[kind](id), incident: id };
}
