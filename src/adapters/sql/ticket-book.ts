import type {
  IncidentTicket,
  TicketBook,
  TicketLinkKind,
  TicketPatch,
  TicketSystem,
} from "../../core/ports/ticket-book.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// ---------------------------------------------------------------------------------------------
// SCHEMA: incident tickets (issue 29, item 6). Every table and index of the tickets lives here
// and only here; it is the state schema's migration 7 (state-store.ts STATE_MIGRATIONS, issue
// 32), applied once and recorded. Released, it does not change: a new column or table is a new
// numbered migration in STATE_MIGRATIONS.
// ---------------------------------------------------------------------------------------------
export const TICKET_BOOK_MIGRATION = `
CREATE TABLE IF NOT EXISTS incident_tickets (
  id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, system TEXT NOT NULL, key TEXT NOT NULL, url TEXT,
  host TEXT NOT NULL, finding TEXT NOT NULL, state TEXT NOT NULL, opened_at INTEGER NOT NULL, opened_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL, bundle_id TEXT, kept_until INTEGER,
  -- host and top finding while the ticket is open, NULL once closed: one open ticket per problem.
  open_key TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS incident_ticket_links (
  incident_id TEXT NOT NULL, ticket_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, ticket_id));
`;
// ------------------------------------ end of ticket schema -----------------------------------

const PATCH_COLUMNS: Record<keyof TicketPatch, string> = {
  state: "state",
  url: "url",
  bundleId: "bundle_id",
  keptUntil: "kept_until",
  updatedAt: "updated_at",
};

const openKey = (host: string, finding: string) => `${host}\u0000${finding}`;

/** The tickets' queries over the shared SQL driver (Node SQLite and Durable Object SQLite). */
export class SqlTicketBook implements TicketBook {
  private readonly driver: SqlDriver;

  /** The tables are there already: the state's migrations ran first (state-store.ts). */
  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async insertTicket(t: IncidentTicket): Promise<IncidentTicket> {
    this.driver.rows(
      `INSERT OR IGNORE INTO incident_tickets (id, incident_id, system, key, url, host, finding, state, opened_at,
         opened_by, updated_at, bundle_id, kept_until, open_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      t.id,
      t.incidentId,
      t.system,
      t.key,
      t.url,
      t.host,
      t.finding,
      t.state,
      t.openedAt,
      t.openedBy,
      t.updatedAt,
      t.bundleId,
      t.keptUntil,
      t.state === "open" ? openKey(t.host, t.finding) : null,
    );
    const stored =
      (t.state === "open" ? await this.findOpenTicket(t.host, t.finding) : null) ?? (await this.getTicket(t.id));
    if (stored?.id === t.id) await this.linkTicket(t.incidentId, t.id, "opened", t.openedAt);
    return stored ?? t;
  }

  async getTicket(id: string): Promise<IncidentTicket | null> {
    const row = this.driver.rows("SELECT * FROM incident_tickets WHERE id = ?", id)[0];
    return row ? toTicket(row) : null;
  }

  async findOpenTicket(host: string, finding: string): Promise<IncidentTicket | null> {
    const row = this.driver.rows("SELECT * FROM incident_tickets WHERE open_key = ?", openKey(host, finding))[0];
    return row ? toTicket(row) : null;
  }

  async ticketsByKey(system: TicketSystem, key: string): Promise<IncidentTicket[]> {
    return this.driver
      .rows("SELECT * FROM incident_tickets WHERE system = ? AND key = ? ORDER BY opened_at, id", system, key)
      .map(toTicket);
  }

  async ticketIncidents(ticketId: string): Promise<string[]> {
    return this.driver
      .rows("SELECT incident_id FROM incident_ticket_links WHERE ticket_id = ? ORDER BY at, incident_id", ticketId)
      .map((r) => String(r.incident_id));
  }

  async incidentTickets(incidentId: string): Promise<IncidentTicket[]> {
    return this.driver
      .rows(
        `SELECT t.* FROM incident_ticket_links l JOIN incident_tickets t ON t.id = l.ticket_id
           WHERE l.incident_id = ? ORDER BY l.at, t.id`,
        incidentId,
      )
      .map(toTicket);
  }

  async linkTicket(incidentId: string, ticketId: string, kind: TicketLinkKind, at: number): Promise<void> {
    this.driver.rows(
      "INSERT OR IGNORE INTO incident_ticket_links (incident_id, ticket_id, kind, at) VALUES (?, ?, ?, ?)",
      incidentId,
      ticketId,
      kind,
      at,
    );
  }

  async updateTicket(id: string, patch: TicketPatch): Promise<IncidentTicket | null> {
    const entries = Object.entries(patch).filter(([k, v]) => k in PATCH_COLUMNS && v !== undefined) as [
      keyof TicketPatch,
      SqlValue,
    ][];
    const sets = entries.map(([k]) => `${PATCH_COLUMNS[k]} = ?`);
    // Closed frees the host and finding: the next incident of that problem opens a new ticket.
    if (patch.state === "closed") sets.push("open_key = NULL");
    if (sets.length === 0) return this.getTicket(id);
    const row = this.driver.rows(
      `UPDATE incident_tickets SET ${sets.join(", ")} WHERE id = ? RETURNING *`,
      ...entries.map(([, v]) => v),
      id,
    )[0];
    return row ? toTicket(row) : null;
  }
}

function toTicket(r: SqlRow): IncidentTicket {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    incidentId: String(r.incident_id),
    system: String(r.system) as TicketSystem,
    key: String(r.key),
    url: str(r.url),
    host: String(r.host),
    finding: String(r.finding),
    state: String(r.state) === "closed" ? "closed" : "open",
    openedAt: Number(r.opened_at),
    openedBy: String(r.opened_by),
    updatedAt: Number(r.updated_at),
    bundleId: str(r.bundle_id),
    keptUntil: num(r.kept_until),
  };
}
