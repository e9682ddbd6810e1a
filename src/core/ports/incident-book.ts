/**
 * The incident as a record (docs/incidents.md): what raised it, its hosts, its state and owner,
 * and a timeline of everything that happened to it, in order and with who. The thread
 * (store.ts `IncidentRecord`) is where it is told in chat; this is what can be read back whole.
 */

/** What raised an incident. */
export const INCIDENT_SOURCES = ["command", "alert", "watch", "silence", "fleet"] as const;
export type IncidentSourceKind = (typeof INCIDENT_SOURCES)[number];

/** open → acknowledged (someone owns it) → resolved. A resolved incident is never reopened. */
export const INCIDENT_STATES = ["open", "acknowledged", "resolved"] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export interface Incident {
  /** `inc_…`: what `clawops incident <id>` and `/openclaw incident <id>` take. */
  id: string;
  source: IncidentSourceKind;
  state: IncidentState;
  /** One line: what it is about (`OpenClaw gateway on node-3`). */
  title: string;
  hosts: string[];
  /** Where it is told: its thread's channel and parent ts (null until a thread is opened). */
  channel: string | null;
  threadTs: string | null;
  /** Who said "I'm on it" (a Slack user id or `console`); null while nobody has. */
  owner: string | null;
  openedAt: number;
  openedBy: string;
  updatedAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

/** What can change on an incident after it opens. */
export type IncidentPatch = Partial<
  Pick<Incident, "state" | "owner" | "channel" | "threadTs" | "updatedAt" | "resolvedAt" | "resolvedBy">
>;

/** What a timeline entry is about; the text says the rest. */
export const INCIDENT_EVENT_KINDS = [
  "opened",
  "alert.firing",
  "alert.resolved",
  "watch",
  "triage",
  "note",
  "acknowledged",
  "resolved",
  // What people and workflows did to it (issue 29, items 1 and 6-8): a freeze set, lifted or
  // placed by the policy; a button pressed; a mutating step asked for, approved or refused; the
  // recover runbook's steps and outcome; a bundle stored or uploaded; a ticket opened, commented
  // or attached; a PagerDuty note or resolve; a postmortem drafted.
  "freeze",
  "button",
  "approval",
  "recover",
  "bundle",
  "ticket",
  "pagerduty",
  "postmortem",
] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];

export interface IncidentEvent {
  incidentId: string;
  /** 1, 2, 3 … per incident: the order things happened in, whatever the clock says. */
  seq: number;
  at: number;
  /** Who: a Slack user id, `console`, `Alertmanager`, `clawops watch`. */
  actor: string;
  kind: IncidentEventKind;
  /** One line of plain mrkdwn, at most 500 characters. */
  text: string;
  /** A job, bundle or ticket id it refers to. */
  ref: string | null;
}

/**
 * The store's side. `openIncident` is keyed: at most one open incident per key (a host's name),
 * so two signals raised at once share one record; it returns the stored one either way.
 */
export interface IncidentBook {
  openIncident(incident: Incident, key: string): Promise<Incident>;
  /** The open (or acknowledged) incident under `key`, if any. */
  findOpenIncident(key: string): Promise<Incident | null>;
  getIncident(id: string): Promise<Incident | null>;
  /** Newest first; `open`: only those not resolved. */
  listIncidents(filter: { open?: boolean; limit?: number }): Promise<Incident[]>;
  /**
   * Applies `patch` if the incident is in one of `from` (a state change that raced another one
   * loses cleanly); returns the incident as stored after, or null when nothing was changed.
   */
  updateIncident(id: string, from: readonly IncidentState[], patch: IncidentPatch): Promise<Incident | null>;
  /** Appends to the timeline with the next seq; returns the seq. */
  appendIncidentEvent(event: Omit<IncidentEvent, "seq">): Promise<number>;
  incidentTimeline(id: string): Promise<IncidentEvent[]>;
}
