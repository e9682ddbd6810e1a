import {
  DELETED_TEXT,
  type NewTeamMessage,
  type TeamMessage,
  type TeamMessageBook,
} from "../../core/ports/team-messages.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// ---------------------------------------------------------------------------------------------
// SCHEMA: the team's messages (issue 41, item 3). The state schema's migration 9 (state-store.ts
// STATE_MIGRATIONS): a message's identity (channel, ts) and what happened to it, its words in its
// timeline entry (incident_events, seq); incidents found by their thread; and, on the record, when
// the evidence says the failure began (an alert's startsAt). Released, it does not change.
// ---------------------------------------------------------------------------------------------
export const TEAM_MESSAGES_MIGRATION = `
CREATE TABLE IF NOT EXISTS incident_messages (
  channel TEXT NOT NULL, ts TEXT NOT NULL, incident_id TEXT NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL,
  at INTEGER NOT NULL, edited_at INTEGER, deleted_at INTEGER, pins INTEGER NOT NULL DEFAULT 0, pinned_by TEXT,
  pinned_at INTEGER, PRIMARY KEY (channel, ts));
CREATE INDEX IF NOT EXISTS incident_messages_incident ON incident_messages (incident_id, at);
CREATE INDEX IF NOT EXISTS incident_records_thread ON incident_records (channel, thread_ts);
`;
export const EVIDENCE_COLUMN: readonly [column: string, definition: string] = ["evidence_at", "INTEGER"];
// --------------------------------- end of team messages schema --------------------------------

/** The message row joined with its timeline entry's words. */
const SELECT = `SELECT m.*, e.text AS text FROM incident_messages m
  LEFT JOIN incident_events e ON e.incident_id = m.incident_id AND e.seq = m.seq`;

/** The team messages' queries over the shared SQL driver (Node SQLite and Durable Object SQLite). */
export class SqlTeamMessages implements Omit<TeamMessageBook, "incidentByThread" | "incidentByOwnChannel"> {
  private readonly driver: SqlDriver;

  /** The tables are there already: the state's migrations ran first (state-store.ts). */
  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async recordTeamMessage(m: NewTeamMessage): Promise<{ created: boolean; message: TeamMessage }> {
    // Every statement below runs without an await between them: one step on either engine.
    const claimed = this.driver.rows(
      `INSERT OR IGNORE INTO incident_messages (channel, ts, incident_id, seq, user, at) VALUES (?, ?, ?, 0, ?, ?)
         RETURNING ts`,
      m.channel,
      m.ts,
      m.incidentId,
      m.user,
      m.at,
    );
    if (claimed.length > 0) {
      const seq = this.driver.rows(
        `INSERT INTO incident_events (incident_id, seq, at, actor, kind, text, ref)
           SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, 'message', ?4, ?5 FROM incident_events WHERE incident_id = ?1
           RETURNING seq`,
        m.incidentId,
        m.at,
        m.user,
        m.text.slice(0, 500),
        messageRef(m.channel, m.ts),
      )[0]?.seq;
      this.driver.rows(
        "UPDATE incident_messages SET seq = ? WHERE channel = ? AND ts = ?",
        Number(seq),
        m.channel,
        m.ts,
      );
    }
    const message = this.read(m.channel, m.ts);
    if (!message) throw new Error(`team message ${m.channel}/${m.ts} not stored`);
    return { created: claimed.length > 0, message };
  }

  async teamMessage(channel: string, ts: string): Promise<TeamMessage | null> {
    return this.read(channel, ts);
  }

  async editTeamMessage(channel: string, ts: string, text: string, at: number): Promise<TeamMessage | null> {
    const row = this.driver.rows(
      "UPDATE incident_messages SET edited_at = ? WHERE channel = ? AND ts = ? AND deleted_at IS NULL RETURNING incident_id, seq",
      at,
      channel,
      ts,
    )[0];
    if (row) {
      this.driver.rows(
        "UPDATE incident_events SET text = ? WHERE incident_id = ? AND seq = ?",
        text.slice(0, 500),
        String(row.incident_id),
        Number(row.seq),
      );
    }
    return this.read(channel, ts);
  }

  async deleteTeamMessage(channel: string, ts: string, at: number): Promise<TeamMessage | null> {
    const row = this.driver.rows(
      `UPDATE incident_messages SET deleted_at = COALESCE(deleted_at, ?), pins = 0, pinned_by = NULL, pinned_at = NULL
         WHERE channel = ? AND ts = ? RETURNING incident_id, seq`,
      at,
      channel,
      ts,
    )[0];
    if (row) {
      this.driver.rows(
        "UPDATE incident_events SET text = ? WHERE incident_id = ? AND seq = ?",
        DELETED_TEXT,
        String(row.incident_id),
        Number(row.seq),
      );
    }
    return this.read(channel, ts);
  }

  async pinTeamMessage(
    channel: string,
    ts: string,
    delta: 1 | -1,
    by: string,
    at: number,
  ): Promise<TeamMessage | null> {
    this.driver.rows(
      `UPDATE incident_messages SET pins = MAX(pins + ?1, 0),
         pinned_by = CASE WHEN MAX(pins + ?1, 0) = 0 THEN NULL WHEN pins = 0 THEN ?2 ELSE pinned_by END,
         pinned_at = CASE WHEN MAX(pins + ?1, 0) = 0 THEN NULL WHEN pins = 0 THEN ?3 ELSE pinned_at END
         WHERE channel = ?4 AND ts = ?5 AND deleted_at IS NULL`,
      delta,
      by,
      at,
      channel,
      ts,
    );
    return this.read(channel, ts);
  }

  async teamMessages(incidentId: string): Promise<TeamMessage[]> {
    return this.driver.rows(`${SELECT} WHERE m.incident_id = ? ORDER BY m.at, m.ts`, incidentId).map(toMessage);
  }

  private read(channel: string, ts: string): TeamMessage | null {
    const row = this.driver.rows(`${SELECT} WHERE m.channel = ? AND m.ts = ?`, channel, ts)[0];
    return row ? toMessage(row) : null;
  }
}

/** The ref a message's timeline entry carries: `slack:<channel>:<ts>`. */
export const messageRef = (channel: string, ts: string) => `slack:${channel}:${ts}`;

function toMessage(r: SqlRow): TeamMessage {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    incidentId: String(r.incident_id),
    channel: String(r.channel),
    ts: String(r.ts),
    user: String(r.user),
    at: Number(r.at),
    seq: Number(r.seq),
    text: r.text === null || r.text === undefined ? "" : String(r.text),
    editedAt: num(r.edited_at),
    deletedAt: num(r.deleted_at),
    pins: Number(r.pins ?? 0),
    pinnedBy: r.pinned_by === null || r.pinned_by === undefined ? null : String(r.pinned_by),
    pinnedAt: num(r.pinned_at),
  };
}
