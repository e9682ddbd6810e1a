import type { IncidentMirror } from "../../core/ports/incident-book.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// ---------------------------------------------------------------------------------------------
// SCHEMA: state migration 12 (issue 43, item 5): each incident's thread on each mirror chat
// (CLAWOPS_INCIDENT_MIRRORS): its root post's ts, and when it was given up. Additive.
// ---------------------------------------------------------------------------------------------
export const INCIDENT_MIRRORS_MIGRATION = `
CREATE TABLE IF NOT EXISTS incident_mirrors (
  incident_id TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT, posted_at INTEGER,
  given_up_at INTEGER, error TEXT, PRIMARY KEY (incident_id, channel));
`;
// ------------------------------------ end of this schema -------------------------------------

/** Mirror threads' queries over the shared SQL driver (Node SQLite and Durable Object SQLite). */
export class SqlIncidentMirrors {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async recordMirrorThread(incidentId: string, channel: string, ts: string, at: number): Promise<IncidentMirror> {
    // The first root recorded stays: a second one (two drains at once) does not move the thread.
    const row = this.driver.rows(
      `INSERT INTO incident_mirrors (incident_id, channel, ts, posted_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (incident_id, channel) DO UPDATE SET ts = COALESCE(ts, excluded.ts),
           posted_at = COALESCE(posted_at, excluded.posted_at)
         RETURNING *`,
      incidentId,
      channel,
      ts,
      at,
    )[0];
    return toMirror(row ?? { incident_id: incidentId, channel, ts });
  }

  async giveUpMirror(incidentId: string, channel: string, error: string, at: number): Promise<boolean> {
    const row = this.driver.rows(
      `INSERT INTO incident_mirrors (incident_id, channel, given_up_at, error) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (incident_id, channel) DO UPDATE SET given_up_at = excluded.given_up_at, error = excluded.error
           WHERE given_up_at IS NULL
         RETURNING incident_id`,
      incidentId,
      channel,
      at,
      error.slice(0, 500),
    )[0];
    return row !== undefined;
  }

  async incidentMirrors(incidentId: string): Promise<IncidentMirror[]> {
    return this.driver
      .rows("SELECT * FROM incident_mirrors WHERE incident_id = ? ORDER BY channel", incidentId)
      .map(toMirror);
  }
}

function toMirror(r: SqlRow): IncidentMirror {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    incidentId: String(r.incident_id),
    channel: String(r.channel),
    ts: str(r.ts),
    givenUpAt: r.given_up_at === null || r.given_up_at === undefined ? null : Number(r.given_up_at),
    error: str(r.error),
  };
}
