import type { IncidentAction } from "../../core/ports/incident-book.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// ---------------------------------------------------------------------------------------------
// SCHEMA: state migration 10 (issue 41, items 1 and 5): an incident's communications and scribe
// roles (its commander is its owner), and its follow-up actions. Released, it does not change.
// ---------------------------------------------------------------------------------------------
export const INCIDENT_ROLE_COLUMNS: readonly [column: string, definition: string][] = [
  ["comms", "TEXT"],
  ["scribe", "TEXT"],
];
export const INCIDENT_ACTIONS_MIGRATION = `
CREATE TABLE IF NOT EXISTS incident_actions (
  incident_id TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL, owner TEXT, state TEXT NOT NULL,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL, done_at INTEGER, done_by TEXT,
  PRIMARY KEY (incident_id, n));
CREATE INDEX IF NOT EXISTS incident_actions_open ON incident_actions (state, created_at);
`;
// ------------------------------------ end of this schema -------------------------------------

/** Follow-up actions' queries over the shared SQL driver (Node SQLite and Durable Object SQLite). */
export class SqlIncidentActions {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async addIncidentAction(
    a: Omit<IncidentAction, "n" | "state" | "doneAt" | "doneBy">,
  ): Promise<IncidentAction | null> {
    // One statement: the next number is taken, and the incident checked to be unresolved, at
    // once, so two adds never share a number and a resolve that won the race leaves nothing.
    const row = this.driver.rows(
      `INSERT INTO incident_actions (incident_id, n, text, owner, state, created_at, created_by)
         SELECT ?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM incident_actions WHERE incident_id = ?1), ?2, ?3, 'open', ?4, ?5
         WHERE EXISTS (SELECT 1 FROM incident_records WHERE id = ?1 AND state != 'resolved')
         RETURNING *`,
      a.incidentId,
      a.text.slice(0, 300),
      a.owner,
      a.createdAt,
      a.createdBy,
    )[0];
    return row ? toAction(row) : null;
  }

  async listIncidentActions(filter: {
    incidentId?: string;
    open?: boolean;
    limit?: number;
  }): Promise<IncidentAction[]> {
    return this.driver
      .rows(
        `SELECT * FROM incident_actions WHERE (?1 IS NULL OR incident_id = ?1) AND (?2 = 0 OR state = 'open')
           ORDER BY created_at, incident_id, n LIMIT ?3`,
        filter.incidentId ?? null,
        filter.open ? 1 : 0,
        filter.limit ?? 1_000,
      )
      .map(toAction);
  }

  async closeIncidentAction(incidentId: string, n: number, by: string, at: number): Promise<IncidentAction | null> {
    const row = this.driver.rows(
      `UPDATE incident_actions SET state = 'done', done_at = ?, done_by = ?
         WHERE incident_id = ? AND n = ? AND state = 'open' RETURNING *`,
      at,
      by,
      incidentId,
      n,
    )[0];
    return row ? toAction(row) : null;
  }
}

function toAction(r: SqlRow): IncidentAction {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    incidentId: String(r.incident_id),
    n: Number(r.n),
    text: String(r.text),
    owner: str(r.owner),
    state: String(r.state) === "done" ? "done" : "open",
    createdAt: Number(r.created_at),
    createdBy: String(r.created_by),
    doneAt: r.done_at === null || r.done_at === undefined ? null : Number(r.done_at),
    doneBy: str(r.done_by),
  };
}
