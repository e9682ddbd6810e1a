import type {
  Incident,
  IncidentEvent,
  IncidentEventKind,
  IncidentPatch,
  IncidentSourceKind,
  IncidentState,
} from "../../core/ports/incident-book.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// ---------------------------------------------------------------------------------------------
// SCHEMA: incident records (issue 29). Every table and index of the incident record lives here
// and only here; it is the state schema's migration 4 (state-store.ts STATE_MIGRATIONS, issue 32),
// applied once and recorded. Released, it does not change: a new column or table is a new
// numbered migration in STATE_MIGRATIONS.
// ---------------------------------------------------------------------------------------------
export const INCIDENT_BOOK_MIGRATION = `
CREATE TABLE IF NOT EXISTS incident_records (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, state TEXT NOT NULL, title TEXT NOT NULL, hosts TEXT NOT NULL,
  channel TEXT, thread_ts TEXT, owner TEXT, opened_at INTEGER NOT NULL, opened_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL, resolved_at INTEGER, resolved_by TEXT,
  -- The grouping key while open (a host's name), NULL once resolved: one open incident per key.
  open_key TEXT UNIQUE);
CREATE INDEX IF NOT EXISTS incident_records_opened ON incident_records (opened_at);
CREATE TABLE IF NOT EXISTS incident_events (
  incident_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
  text TEXT NOT NULL, ref TEXT, PRIMARY KEY (incident_id, seq));
`;
// ------------------------------------ end of incident schema ---------------------------------

const PATCH_COLUMNS: Record<keyof IncidentPatch, string> = {
  state: "state",
  owner: "owner",
  channel: "channel",
  threadTs: "thread_ts",
  updatedAt: "updated_at",
  resolvedAt: "resolved_at",
  resolvedBy: "resolved_by",
};

/** The incident record's queries over the shared SQL driver (Node SQLite and Durable Object SQLite). */
export class SqlIncidentBook {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async openIncident(i: Incident, key: string): Promise<Incident> {
    this.driver.rows(
      `INSERT OR IGNORE INTO incident_records (id, source, state, title, hosts, channel, thread_ts, owner, opened_at,
         opened_by, updated_at, resolved_at, resolved_by, open_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      i.id,
      i.source,
      i.state,
      i.title,
      JSON.stringify(i.hosts),
      i.channel,
      i.threadTs,
      i.owner,
      i.openedAt,
      i.openedBy,
      i.updatedAt,
      i.resolvedAt,
      i.resolvedBy,
      i.state === "resolved" ? null : key,
    );
    // Another signal opened one under this key first: that one is the incident.
    return (await this.findOpenIncident(key)) ?? (await this.getIncident(i.id)) ?? i;
  }

  async findOpenIncident(key: string): Promise<Incident | null> {
    const row = this.driver.rows("SELECT * FROM incident_records WHERE open_key = ?", key)[0];
    return row ? toIncident(row) : null;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const row = this.driver.rows("SELECT * FROM incident_records WHERE id = ?", id)[0];
    return row ? toIncident(row) : null;
  }

  async listIncidents(filter: { open?: boolean; limit?: number }): Promise<Incident[]> {
    return this.driver
      .rows(
        "SELECT * FROM incident_records WHERE (?1 = 0 OR state != 'resolved') ORDER BY opened_at DESC, id DESC LIMIT ?2",
        filter.open ? 1 : 0,
        filter.limit ?? 100,
      )
      .map(toIncident);
  }

  async updateIncident(id: string, from: readonly IncidentState[], patch: IncidentPatch): Promise<Incident | null> {
    const entries = Object.entries(patch).filter(([k, v]) => k in PATCH_COLUMNS && v !== undefined) as [
      keyof IncidentPatch,
      SqlValue,
    ][];
    const sets = entries.map(([k]) => `${PATCH_COLUMNS[k]} = ?`);
    // Resolving frees the key, so the host's next failure opens a new incident.
    if (patch.state === "resolved") sets.push("open_key = NULL");
    if (sets.length === 0 || from.length === 0) return null;
    const row = this.driver.rows(
      `UPDATE incident_records SET ${sets.join(", ")} WHERE id = ? AND state IN (${from.map(() => "?").join(", ")}) RETURNING *`,
      ...entries.map(([, v]) => v),
      id,
      ...from,
    )[0];
    return row ? toIncident(row) : null;
  }

  async appendIncidentEvent(e: Omit<IncidentEvent, "seq">): Promise<number> {
    // One statement: the next seq is taken and written at once, so two appends never share one.
    const row = this.driver.rows(
      `INSERT INTO incident_events (incident_id, seq, at, actor, kind, text, ref)
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6 FROM incident_events WHERE incident_id = ?1
         RETURNING seq`,
      e.incidentId,
      e.at,
      e.actor,
      e.kind,
      e.text.slice(0, 500),
      e.ref,
    )[0];
    return Number(row?.seq ?? 0);
  }

  async incidentTimeline(id: string): Promise<IncidentEvent[]> {
    return this.driver.rows("SELECT * FROM incident_events WHERE incident_id = ? ORDER BY seq", id).map((r) => ({
      incidentId: String(r.incident_id),
      seq: Number(r.seq),
      at: Number(r.at),
      actor: String(r.actor),
      kind: String(r.kind) as IncidentEventKind,
      text: String(r.text),
      ref: r.ref === null || r.ref === undefined ? null : String(r.ref),
    }));
  }
}

function toIncident(r: SqlRow): Incident {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    source: String(r.source) as IncidentSourceKind,
    state: String(r.state) as IncidentState,
    title: String(r.title),
    hosts: JSON.parse(String(r.hosts)) as string[],
    channel: str(r.channel),
    threadTs: str(r.thread_ts),
    owner: str(r.owner),
    openedAt: Number(r.opened_at),
    openedBy: String(r.opened_by),
    updatedAt: Number(r.updated_at),
    resolvedAt: num(r.resolved_at),
    resolvedBy: str(r.resolved_by),
  };
}
