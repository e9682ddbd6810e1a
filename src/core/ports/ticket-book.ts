/**
 * Tickets clawops opened for incidents (issue 29, item 6; docs/tickets.md): which Jira or GitHub
 * issue tracks which host's problem, so the next incident of the same host and top finding
 * comments on it instead of opening a second one, and which bundle it carries (its link is kept
 * as long as the ticket needs it, renewable from the thread).
 */

export type TicketSystem = "jira" | "github";

export interface IncidentTicket {
  /** `tkt_…`. */
  id: string;
  /** The incident it was opened for (incidents that comment on it later are linked too). */
  incidentId: string;
  system: TicketSystem;
  /** Jira: `OPS-12`; GitHub: `owner/repo#7`. */
  key: string;
  /** Where a person opens it (Jira's browse URL, GitHub's html_url). */
  url: string | null;
  /** With `finding`, what the ticket is about: one open ticket per host and top finding. */
  host: string;
  /** The top finding's id when it was opened (`none` when the triage found none). */
  finding: string;
  /** `closed` once its tracker said it is done or gone; the next incident opens a new one. */
  state: "open" | "closed";
  openedAt: number;
  openedBy: string;
  updatedAt: number;
  /** The repro bundle delivered to it, if any. */
  bundleId: string | null;
  /** Until when that bundle (and, on GitHub, its link) is kept; renewable from the thread. */
  keptUntil: number | null;
}

export type TicketPatch = Partial<Pick<IncidentTicket, "state" | "url" | "bundleId" | "keptUntil" | "updatedAt">>;

/** How an incident came to a ticket: it opened it, or it commented on one already open. */
export type TicketLinkKind = "opened" | "commented";

/**
 * The store's side (SQLite on Node, the directory Durable Object on Workers). `insertTicket`
 * is keyed by host and finding while the ticket is open: of two tickets opened at once for the
 * same problem, the one stored first is returned to both.
 */
export interface TicketBook {
  insertTicket(ticket: IncidentTicket): Promise<IncidentTicket>;
  getTicket(id: string): Promise<IncidentTicket | null>;
  /** The open ticket of this host and top finding, if any. */
  findOpenTicket(host: string, finding: string): Promise<IncidentTicket | null>;
  /** The tickets clawops keeps under this tracker's key (`OPS-12`), oldest first: a Jira webhook's issue (issue 41). */
  ticketsByKey(system: TicketSystem, key: string): Promise<IncidentTicket[]>;
  /** The ids of the incidents linked to a ticket (it was opened or commented on for them), oldest first. */
  ticketIncidents(ticketId: string): Promise<string[]>;
  /** Every ticket linked to the incident (opened for it or commented on for it), oldest first. */
  incidentTickets(incidentId: string): Promise<IncidentTicket[]>;
  /** Links a ticket to an incident (idempotent). */
  linkTicket(incidentId: string, ticketId: string, kind: TicketLinkKind, at: number): Promise<void>;
  /** Applies the patch; `state: "closed"` frees the host and finding for a new ticket. Null: no such ticket. */
  updateTicket(id: string, patch: TicketPatch): Promise<IncidentTicket | null>;
}
