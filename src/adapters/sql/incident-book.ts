import {
  INCIDENT_COUNTERS,
  type Incident,
  type IncidentCounts,
  type IncidentEvent,
  type IncidentEventKind,
  type IncidentPatch,
  type IncidentPhase,
  type IncidentSourceKind,
  type IncidentState,
  NO_COUNTS,
  type OutboxItem,
  type OutboxPatch,
  type OutboxState,
  type Severity,
  type SignalFate,
  type SignalFateKind,
  type Snooze,
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

/**
 * State migration 5 (issue 29): what the live header, the storm guard and fleet grouping keep on
 * a record: its phase, the fleet incident it is grouped into, its cause keys, its counts, its
 * latest signal, and when its header was last edited (and whether an edit is owed). open_key
 * now also holds `fleet:<cause>` for a fleet incident.
 */
export const INCIDENT_LIVE_COLUMNS: readonly [column: string, definition: string][] = [
  ["phase", "TEXT NOT NULL DEFAULT 'failing'"],
  ["parent_id", "TEXT"],
  ["causes", "TEXT NOT NULL DEFAULT '[]'"],
  ["counts", "TEXT NOT NULL DEFAULT '{}'"],
  ["last_signal_at", "INTEGER NOT NULL DEFAULT 0"],
  ["header_at", "INTEGER"],
  ["header_stale", "INTEGER NOT NULL DEFAULT 0"],
];
/** State migration 6 (issue 29): findings snoozed on hosts. */
export const SNOOZES_MIGRATION = `
CREATE TABLE IF NOT EXISTS snoozes (
  host TEXT NOT NULL, finding TEXT NOT NULL, until INTEGER, until_version TEXT, by TEXT NOT NULL, at INTEGER NOT NULL,
  muted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (host, finding));
`;
/**
 * State migration 8 (issue 40): an incident's severity and when it was first acknowledged (MTTA);
 * the outbox its deliveries go through after the record is written (pages, retried with
 * backoff); and each signal's fate (opened, news, counted, muted, suppressed, unrouted …), so
 * "what became of alert X" is a query.
 */
export const INCIDENT_SEVERITY_COLUMNS: readonly [column: string, definition: string][] = [
  ["severity", "TEXT NOT NULL DEFAULT 'sev3'"],
  ["acknowledged_at", "INTEGER"],
];
export const OUTBOX_MIGRATION = `
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, incident_id TEXT, body TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT,
  told INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, done_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
CREATE INDEX IF NOT EXISTS outbox_incident ON outbox (incident_id);
CREATE TABLE IF NOT EXISTS incident_signals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, source TEXT NOT NULL, host TEXT NOT NULL,
  incident_id TEXT, fate TEXT NOT NULL, why TEXT, summary TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS incident_signals_incident ON incident_signals (incident_id, seq);
CREATE INDEX IF NOT EXISTS incident_signals_host ON incident_signals (host, seq);
`;
/**
 * State migration 12 (issue 41, item 2): an incident's own channel, its name, and the second live
 * header posted there (edited with the thread's, incidents/header.ts).
 */
export const INCIDENT_CHANNEL_COLUMNS: readonly [column: string, definition: string][] = [
  ["own_channel", "TEXT"],
  ["own_channel_name", "TEXT"],
  ["own_channel_ts", "TEXT"],
];
export const INCIDENT_OPEN_INDEX =
  "CREATE INDEX IF NOT EXISTS incident_records_open ON incident_records (state, source);";
// ------------------------------------ end of incident schema ---------------------------------

const PATCH_COLUMNS: Record<keyof IncidentPatch, string> = {
  state: "state",
  owner: "owner",
  channel: "channel",
  threadTs: "thread_ts",
  updatedAt: "updated_at",
  resolvedAt: "resolved_at",
  resolvedBy: "resolved_by",
  phase: "phase",
  parentId: "parent_id",
  headerAt: "header_at",
  headerStale: "header_stale",
  severity: "severity",
  acknowledgedAt: "acknowledged_at",
  evidenceAt: "evidence_at",
  ownChannel: "own_channel",
  ownChannelName: "own_channel_name",
  ownChannelTs: "own_channel_ts",
  comms: "comms",
  scribe: "scribe",
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
         opened_by, updated_at, resolved_at, resolved_by, open_key, phase, parent_id, causes, counts, last_signal_at,
         header_at, header_stale, severity, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      i.phase,
      i.parentId,
      JSON.stringify(i.causes),
      JSON.stringify(i.counts),
      i.lastSignalAt,
      i.headerAt,
      i.headerStale ? 1 : 0,
      i.severity,
      i.acknowledgedAt,
    );
    // Another signal opened one under this key first: that one is the incident.
    return (await this.findOpenIncident(key)) ?? (await this.getIncident(i.id)) ?? i;
  }

  async findOpenIncident(key: string): Promise<Incident | null> {
    const own = this.driver.rows("SELECT * FROM incident_records WHERE open_key = ?", key)[0];
    if (own) return toIncident(own);
    const fleet = this.driver.rows(
      `SELECT * FROM incident_records WHERE state != 'resolved' AND source = 'fleet'
         AND EXISTS (SELECT 1 FROM json_each(incident_records.hosts) WHERE value = ?) ORDER BY opened_at LIMIT 1`,
      key,
    )[0];
    return fleet ? toIncident(fleet) : null;
  }

  async countIncident(id: string, delta: Partial<IncidentCounts>, at: number): Promise<Incident | null> {
    const keys = INCIDENT_COUNTERS.filter((k) => (delta[k] ?? 0) !== 0);
    // One statement: counts written at once from several requests all land.
    const sets = keys.map(() => `, '$.' || ?, COALESCE(json_extract(counts, '$.' || ?), 0) + ?`).join("");
    const row = this.driver.rows(
      `UPDATE incident_records SET ${keys.length ? `counts = json_set(counts${sets}),` : ""}
         last_signal_at = MAX(last_signal_at, ?) WHERE id = ? RETURNING *`,
      ...keys.flatMap((k) => [k, k, delta[k] ?? 0]),
      at,
      id,
    )[0];
    return row ? toIncident(row) : null;
  }

  async joinIncident(id: string, host: string): Promise<Incident | null> {
    this.driver.rows(
      `UPDATE incident_records SET hosts = json_insert(hosts, '$[#]', ?1)
         WHERE id = ?2 AND state != 'resolved' AND NOT EXISTS (SELECT 1 FROM json_each(incident_records.hosts) WHERE value = ?1)`,
      host,
      id,
    );
    const incident = await this.getIncident(id);
    return incident && incident.state !== "resolved" ? incident : null;
  }

  async staleHeaders(editedBefore: number): Promise<Incident[]> {
    return this.driver
      .rows(
        `SELECT * FROM incident_records WHERE header_stale = 1 AND state != 'resolved'
           AND COALESCE(header_at, 0) <= ? ORDER BY last_signal_at LIMIT 100`,
        editedBefore,
      )
      .map(toIncident);
  }

  /** The incident told in this thread: the newest not resolved, else the newest (migration 9's index). */
  async incidentByOwnChannel(channel: string): Promise<Incident | null> {
    const row = this.driver.rows(
      `SELECT * FROM incident_records WHERE own_channel = ?
         ORDER BY state = 'resolved', opened_at DESC, id DESC LIMIT 1`,
      channel,
    )[0];
    return row ? toIncident(row) : null;
  }

  async incidentByThread(channel: string, threadTs: string): Promise<Incident | null> {
    const row = this.driver.rows(
      `SELECT * FROM incident_records WHERE channel = ? AND thread_ts = ?
         ORDER BY state = 'resolved', opened_at DESC, id DESC LIMIT 1`,
      channel,
      threadTs,
    )[0];
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

  async updateIncident(
    id: string,
    from: readonly IncidentState[],
    patch: IncidentPatch,
    inPhase?: IncidentPhase,
  ): Promise<Incident | null> {
    const entries = Object.entries(patch)
      .filter(([k, v]) => k in PATCH_COLUMNS && v !== undefined)
      .map(([k, v]) => [k, typeof v === "boolean" ? (v ? 1 : 0) : v]) as [keyof IncidentPatch, SqlValue][];
    const sets = entries.map(([k]) => `${PATCH_COLUMNS[k]} = ?`);
    // Resolving frees the key, so the host's next failure opens a new incident.
    if (patch.state === "resolved") sets.push("open_key = NULL");
    if (sets.length === 0 || from.length === 0) return null;
    const row = this.driver.rows(
      `UPDATE incident_records SET ${sets.join(", ")} WHERE id = ? AND state IN (${from.map(() => "?").join(", ")})
         AND (? IS NULL OR phase = ?) RETURNING *`,
      ...entries.map(([, v]) => v),
      id,
      ...from,
      inPhase ?? null,
      inPhase ?? null,
    )[0];
    return row ? toIncident(row) : null;
  }

  async putSnooze(z: Snooze): Promise<void> {
    this.driver.rows(
      `INSERT INTO snoozes (host, finding, until, until_version, by, at, muted) VALUES (?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (host, finding) DO UPDATE SET until = excluded.until, until_version = excluded.until_version,
           by = excluded.by, at = excluded.at, muted = 0`,
      z.host,
      z.finding,
      z.until,
      z.untilVersion,
      z.by,
      z.at,
    );
  }

  async listSnoozes(): Promise<Snooze[]> {
    return this.driver.rows("SELECT * FROM snoozes ORDER BY host, finding").map(toSnooze);
  }

  async removeSnooze(host: string, finding: string): Promise<Snooze | null> {
    const row = this.driver.rows("DELETE FROM snoozes WHERE host = ? AND finding = ? RETURNING *", host, finding)[0];
    return row ? toSnooze(row) : null;
  }

  async countSnoozed(host: string, finding: string, n: number): Promise<void> {
    this.driver.rows("UPDATE snoozes SET muted = muted + ? WHERE host = ? AND finding = ?", n, host, finding);
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

/** The outbox and the signals' fates (migration 8) over the same driver. */
export class SqlDeliveries {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async enqueueOutbox(
    item: Omit<OutboxItem, "state" | "attempts" | "lastError" | "told" | "doneAt">,
  ): Promise<boolean> {
    const row = this.driver.rows(
      `INSERT OR IGNORE INTO outbox (id, key, kind, incident_id, body, state, attempts, next_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`,
      item.id,
      item.key,
      item.kind,
      item.incidentId,
      item.body,
      item.nextAt,
      item.createdAt,
    )[0];
    return row !== undefined;
  }

  async claimOutbox(now: number, leaseUntil: number, limit: number): Promise<OutboxItem[]> {
    return this.driver
      .rows(
        `UPDATE outbox SET next_at = ?1 WHERE id IN (
           SELECT id FROM outbox WHERE state = 'pending' AND next_at <= ?2 ORDER BY next_at, created_at LIMIT ?3)
         RETURNING *`,
        leaseUntil,
        now,
        limit,
      )
      .map(toOutboxItem)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async settleOutbox(id: string, patch: OutboxPatch): Promise<void> {
    const columns: Record<keyof OutboxPatch, string> = {
      state: "state",
      attempts: "attempts",
      nextAt: "next_at",
      lastError: "last_error",
      told: "told",
      doneAt: "done_at",
    };
    const entries = (Object.entries(patch) as [keyof OutboxPatch, unknown][]).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    this.driver.rows(
      `UPDATE outbox SET ${entries.map(([k]) => `${columns[k]} = ?`).join(", ")} WHERE id = ?`,
      ...entries.map(([, v]) => (typeof v === "boolean" ? (v ? 1 : 0) : (v as SqlValue))),
      id,
    );
  }

  async listOutbox(filter: { incidentId?: string; state?: OutboxState; limit?: number }): Promise<OutboxItem[]> {
    return this.driver
      .rows(
        `SELECT * FROM outbox WHERE (?1 IS NULL OR incident_id = ?1) AND (?2 IS NULL OR state = ?2)
           ORDER BY created_at DESC, id DESC LIMIT ?3`,
        filter.incidentId ?? null,
        filter.state ?? null,
        filter.limit ?? 100,
      )
      .map(toOutboxItem);
  }

  async recordSignal(f: Omit<SignalFate, "seq">): Promise<void> {
    this.driver.rows(
      `INSERT INTO incident_signals (at, source, host, incident_id, fate, why, summary, count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      f.at,
      f.source,
      f.host,
      f.incidentId,
      f.fate,
      f.why === null ? null : f.why.slice(0, 300),
      f.summary.slice(0, 300),
      f.count,
    );
  }

  async listSignals(filter: { incidentId?: string; host?: string; limit?: number }): Promise<SignalFate[]> {
    return this.driver
      .rows(
        `SELECT * FROM (SELECT * FROM incident_signals WHERE (?1 IS NULL OR incident_id = ?1) AND (?2 IS NULL OR host = ?2)
           ORDER BY seq DESC LIMIT ?3) ORDER BY seq`,
        filter.incidentId ?? null,
        filter.host ?? null,
        filter.limit ?? 1_000,
      )
      .map((r) => ({
        seq: Number(r.seq),
        at: Number(r.at),
        source: String(r.source),
        host: String(r.host),
        incidentId: r.incident_id === null || r.incident_id === undefined ? null : String(r.incident_id),
        fate: String(r.fate) as SignalFateKind,
        why: r.why === null || r.why === undefined ? null : String(r.why),
        summary: String(r.summary),
        count: Number(r.count ?? 1),
      }));
  }
}

function toOutboxItem(r: SqlRow): OutboxItem {
  return {
    id: String(r.id),
    key: String(r.key),
    kind: String(r.kind),
    incidentId: r.incident_id === null || r.incident_id === undefined ? null : String(r.incident_id),
    body: String(r.body),
    state: String(r.state) as OutboxState,
    attempts: Number(r.attempts ?? 0),
    nextAt: Number(r.next_at),
    lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    told: Number(r.told ?? 0) === 1,
    createdAt: Number(r.created_at),
    doneAt: r.done_at === null || r.done_at === undefined ? null : Number(r.done_at),
  };
}

function toSnooze(r: SqlRow): Snooze {
  return {
    host: String(r.host),
    finding: String(r.finding),
    until: r.until === null || r.until === undefined ? null : Number(r.until),
    untilVersion: r.until_version === null || r.until_version === undefined ? null : String(r.until_version),
    by: String(r.by),
    at: Number(r.at),
    muted: Number(r.muted ?? 0),
  };
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
    phase: (str(r.phase) ?? "failing") as IncidentPhase,
    parentId: str(r.parent_id),
    causes: JSON.parse(String(r.causes ?? "[]")) as string[],
    counts: { ...NO_COUNTS, ...(JSON.parse(String(r.counts ?? "{}")) as Partial<IncidentCounts>) },
    lastSignalAt: Number(r.last_signal_at ?? 0),
    headerAt: num(r.header_at),
    headerStale: Number(r.header_stale ?? 0) === 1,
    severity: (str(r.severity) ?? "sev3") as Severity,
    acknowledgedAt: num(r.acknowledged_at),
    // Migration 9's column, set only where the evidence named a time (the type leaves it optional).
    ...(r.evidence_at === null || r.evidence_at === undefined ? {} : { evidenceAt: Number(r.evidence_at) }),
    ownChannel: str(r.own_channel),
    ownChannelName: str(r.own_channel_name),
    ownChannelTs: str(r.own_channel_ts),
    comms: str(r.comms),
    scribe: str(r.scribe),
  };
}
