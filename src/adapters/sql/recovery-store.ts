import type {
  AuditEntry,
  AuditQuery,
  AutoFreeze,
  ConfirmationRecord,
  FreezeRecord,
  MutedCounts,
  NewAuditEntry,
  NoticeRef,
  RecoveryStore,
  ScheduledFreeze,
  ScheduledFreezeStage,
} from "../../core/ports/recovery.ts";
import { addColumnIfMissing, applyMigrations, type SchemaMigrations } from "./migrations.ts";
import type { SqlDriver, SqlRow, SqlValue } from "./state-store.ts";

/**
 * Freezes, confirmations and the audit log in SQLite: one schema and one set of queries for
 * node:sqlite (src/node/recovery-store.ts) and Durable Object SQLite (src/worker/directory.ts),
 * each runtime supplying the two-method driver of src/adapters/sql/state-store.ts. The audit table
 * is append-only twice over: this class has no UPDATE or DELETE statement for it, and triggers
 * make SQLite refuse either from anyone else. Writes whose effect matters use `RETURNING`.
 */
export const RECOVERY_MIGRATIONS: SchemaMigrations = {
  schema: "recovery",
  migrations: [
    {
      id: 1,
      name: "freezes, the audit log, confirmations, scheduled freezes",
      up: `
CREATE TABLE IF NOT EXISTS freezes (
  target TEXT PRIMARY KEY, owner TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, channel TEXT NOT NULL, notices TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL,
  action TEXT NOT NULL, host TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL, ref TEXT);
CREATE INDEX IF NOT EXISTS audit_log_host ON audit_log (host, seq);
CREATE TABLE IF NOT EXISTS confirmations (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, step TEXT NOT NULL, action TEXT NOT NULL, job TEXT NOT NULL,
  requested_by TEXT NOT NULL, channel TEXT NOT NULL, thread_ts TEXT, message_ts TEXT, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT, decision TEXT);
CREATE TABLE IF NOT EXISTS scheduled_freezes (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, owner TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  channel TEXT NOT NULL, created_at INTEGER NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
  stage TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scheduled_freezes_start ON scheduled_freezes (starts_at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
    },
    // Which buttons a confirmation offered; older rows read as not offering "once drained", the
    // safe side. Was "add the column if it is missing" in this file's constructor.
    {
      id: 2,
      name: "confirmations.offers_drain",
      up: (sql) => addColumnIfMissing(sql, "confirmations", "offers_drain", "INTEGER NOT NULL DEFAULT 0"),
    },
    // What lifts an automatic freeze (null: a person's). Was "add the column if it is missing" too.
    { id: 3, name: "freezes.auto", up: (sql) => addColumnIfMissing(sql, "freezes", "auto", "TEXT") },
    // A maintenance freeze mutes incidents and counts what it muted (issue 29).
    {
      id: 4,
      name: "freezes.maintenance, freezes.muted",
      up: (sql) => {
        addColumnIfMissing(sql, "freezes", "maintenance", "INTEGER NOT NULL DEFAULT 0");
        addColumnIfMissing(sql, "freezes", "muted", "TEXT NOT NULL DEFAULT '{}'");
      },
    },
  ],
};

const DEFAULT_AUDIT_LIMIT = 100;

/** Inserts a freeze or replaces its target's (the parameters: freezeRow). */
const UPSERT_FREEZE = `INSERT INTO freezes (target, owner, reason, source, created_at, expires_at, channel, notices, auto,
    maintenance, muted)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (target) DO UPDATE SET owner = excluded.owner, reason = excluded.reason,
    source = excluded.source, created_at = excluded.created_at, expires_at = excluded.expires_at,
    channel = excluded.channel, notices = excluded.notices, auto = excluded.auto,
    maintenance = excluded.maintenance, muted = excluded.muted`;

function freezeRow(f: FreezeRecord): SqlValue[] {
  return [
    f.target,
    f.owner,
    f.reason,
    f.source,
    f.createdAt,
    f.expiresAt,
    f.channel,
    JSON.stringify(f.notices),
    f.auto ? JSON.stringify(f.auto) : null,
    f.maintenance ? 1 : 0,
    JSON.stringify(f.muted ?? {}),
  ];
}

export class SqlRecoveryStore implements RecoveryStore {
  private readonly sql: SqlDriver;

  /** Applies the recovery schema's migrations first (SchemaError: a database newer than this code). */
  constructor(driver: SqlDriver, now: () => number = Date.now) {
    this.sql = driver;
    applyMigrations(driver, RECOVERY_MIGRATIONS, { transaction: driver.transaction, now, where: driver.name });
  }

  private one(query: string, ...params: SqlValue[]): SqlRow | undefined {
    return this.sql.rows(query, ...params)[0];
  }

  async insertConfirmation(c: ConfirmationRecord): Promise<void> {
    this.sql.rows(
      `INSERT INTO confirmations (id, host, step, action, job, requested_by, channel, thread_ts, message_ts,
         created_at, expires_at, decided_at, decided_by, decision, offers_drain)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      c.host,
      c.step,
      c.action,
      c.job,
      c.requestedBy,
      c.channel,
      c.threadTs,
      c.messageTs,
      c.createdAt,
      c.expiresAt,
      c.decidedAt,
      c.decidedBy,
      c.decision,
      c.offersDrain ? 1 : 0,
    );
  }

  async getConfirmation(id: string): Promise<ConfirmationRecord | null> {
    const r = this.one("SELECT * FROM confirmations WHERE id = ?", id);
    if (!r) return null;
    const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
    return {
      id: String(r.id),
      host: String(r.host),
      step: String(r.step),
      action: String(r.action),
      job: String(r.job),
      requestedBy: String(r.requested_by),
      channel: String(r.channel),
      threadTs: str(r.thread_ts),
      messageTs: str(r.message_ts),
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      decidedAt: r.decided_at === null || r.decided_at === undefined ? null : Number(r.decided_at),
      decidedBy: str(r.decided_by),
      decision: (r.decision ?? null) as ConfirmationRecord["decision"],
      offersDrain: Number(r.offers_drain ?? 0) === 1,
    };
  }

  async setConfirmationMessage(id: string, messageTs: string): Promise<void> {
    this.sql.rows("UPDATE confirmations SET message_ts = ? WHERE id = ?", messageTs, id);
  }

  async decideConfirmation(
    id: string,
    d: { at: number; by: string; decision: "approve" | "cancel" },
  ): Promise<boolean> {
    const changed = this.sql.rows(
      `UPDATE confirmations SET decided_at = ?, decided_by = ?, decision = ?
         WHERE id = ? AND decision IS NULL AND expires_at > ? RETURNING id`,
      d.at,
      d.by,
      d.decision,
      id,
      d.at,
    );
    return changed.length > 0;
  }

  async putFreeze(f: FreezeRecord): Promise<void> {
    this.sql.rows(UPSERT_FREEZE, ...freezeRow(f));
  }

  async putAutoFreeze(f: FreezeRecord & { auto: AutoFreeze }, now: number): Promise<boolean> {
    // The upsert's WHERE makes the check and the write one statement: nothing lands between them.
    const written = this.sql.rows(
      `${UPSERT_FREEZE}
         WHERE freezes.expires_at <= ? OR (freezes.owner = excluded.owner AND freezes.auto IS NOT NULL)
         RETURNING target`,
      ...freezeRow(f),
      now,
    );
    return written.length > 0;
  }

  async getFreeze(target: string): Promise<FreezeRecord | null> {
    const row = this.one("SELECT * FROM freezes WHERE target = ?", target);
    return row ? toFreeze(row) : null;
  }

  async listFreezes(): Promise<FreezeRecord[]> {
    return this.sql.rows("SELECT * FROM freezes ORDER BY expires_at, target").map(toFreeze);
  }

  async countMuted(target: string, createdAt: number, kind: keyof MutedCounts, n: number): Promise<void> {
    this.sql.rows(
      `UPDATE freezes SET muted = json_set(muted, '$.' || ?1, COALESCE(json_extract(muted, '$.' || ?1), 0) + ?2)
         WHERE target = ?3 AND created_at = ?4`,
      kind,
      n,
      target,
      createdAt,
    );
  }

  async setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void> {
    this.sql.rows(
      "UPDATE freezes SET notices = ? WHERE target = ? AND created_at = ?",
      JSON.stringify(notices),
      target,
      createdAt,
    );
  }

  async removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null> {
    const row =
      createdAt === undefined
        ? this.one("DELETE FROM freezes WHERE target = ? RETURNING *", target)
        : this.one("DELETE FROM freezes WHERE target = ? AND created_at = ? RETURNING *", target, createdAt);
    return row ? toFreeze(row) : null;
  }

  async putScheduledFreeze(s: ScheduledFreeze): Promise<void> {
    this.sql.rows(
      `INSERT INTO scheduled_freezes (id, target, owner, reason, source, channel, created_at, starts_at, ends_at, stage)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id,
      s.target,
      s.owner,
      s.reason,
      s.source,
      s.channel,
      s.createdAt,
      s.startsAt,
      s.endsAt,
      s.stage,
    );
  }

  async listScheduledFreezes(): Promise<ScheduledFreeze[]> {
    return this.sql.rows("SELECT * FROM scheduled_freezes ORDER BY starts_at, id").map(toScheduled);
  }

  async advanceScheduledFreeze(
    id: string,
    from: readonly ScheduledFreezeStage[],
    to: ScheduledFreezeStage | null,
  ): Promise<ScheduledFreeze | null> {
    if (from.length === 0) return null;
    const marks = from.map(() => "?").join(", ");
    const row =
      to === null
        ? this.one(`DELETE FROM scheduled_freezes WHERE id = ? AND stage IN (${marks}) RETURNING *`, id, ...from)
        : this.one(
            `UPDATE scheduled_freezes SET stage = ? WHERE id = ? AND stage IN (${marks}) RETURNING *`,
            to,
            id,
            ...from,
          );
    return row ? toScheduled(row) : null;
  }

  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const row = this.one(
      `INSERT INTO audit_log (at, actor, source, action, host, outcome, detail, ref)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      e.at,
      e.actor,
      e.source,
      e.action,
      e.host,
      e.outcome,
      e.detail,
      e.ref,
    );
    return { ...e, seq: Number(row?.seq) };
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const order = q.order === "desc" ? "DESC" : "ASC";
    const limit = Math.max(0, q.limit ?? DEFAULT_AUDIT_LIMIT);
    const rows =
      q.host === undefined
        ? this.sql.rows(`SELECT * FROM audit_log WHERE seq > ? ORDER BY seq ${order} LIMIT ?`, q.afterSeq ?? 0, limit)
        : this.sql.rows(
            `SELECT * FROM audit_log WHERE seq > ? AND host = ? ORDER BY seq ${order} LIMIT ?`,
            q.afterSeq ?? 0,
            q.host,
            limit,
          );
    return rows.map(toAudit);
  }
}

function toFreeze(r: SqlRow): FreezeRecord {
  return {
    target: String(r.target),
    owner: String(r.owner),
    reason: String(r.reason),
    source: String(r.source) as FreezeRecord["source"],
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    channel: String(r.channel),
    notices: JSON.parse(String(r.notices)) as NoticeRef[],
    ...(r.auto === null || r.auto === undefined ? {} : { auto: JSON.parse(String(r.auto)) as AutoFreeze }),
    ...(Number(r.maintenance ?? 0) === 1
      ? {
          maintenance: true,
          muted: { alerts: 0, watch: 0, silences: 0, ...(JSON.parse(String(r.muted ?? "{}")) as Partial<MutedCounts>) },
        }
      : {}),
  };
}

function toScheduled(r: SqlRow): ScheduledFreeze {
  return {
    id: String(r.id),
    target: String(r.target),
    owner: String(r.owner),
    reason: String(r.reason),
    source: String(r.source) as ScheduledFreeze["source"],
    channel: String(r.channel),
    createdAt: Number(r.created_at),
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    stage: String(r.stage) as ScheduledFreezeStage,
  };
}

function toAudit(r: SqlRow): AuditEntry {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    actor: String(r.actor),
    source: String(r.source) as AuditEntry["source"],
    action: String(r.action),
    host: r.host === null || r.host === undefined ? null : String(r.host),
    outcome: String(r.outcome) as AuditEntry["outcome"],
    detail: String(r.detail),
    ref: r.ref === null || r.ref === undefined ? null : String(r.ref),
  };
}
