import { StepResult } from "../../contract/catalog.ts";
import type {
  Incident,
  IncidentAction,
  IncidentCounts,
  IncidentEvent,
  IncidentMirror,
  IncidentPatch,
  IncidentPhase,
  IncidentState,
  OutboxItem,
  OutboxPatch,
  OutboxState,
  SignalFate,
  Snooze,
} from "../../core/ports/incident-book.ts";
import type { HostRecord, IncidentThread, JobPatch, JobRecord, JobStatus, Store } from "../../core/ports/store.ts";
import type { NewTeamMessage, TeamMessage } from "../../core/ports/team-messages.ts";
import type { IncidentTicket, TicketLinkKind, TicketPatch, TicketSystem } from "../../core/ports/ticket-book.ts";
import type { WatchRecord } from "../../core/ports/watch-record.ts";
import { SqlClaims } from "./claims.ts";
import { INCIDENT_ACTIONS_MIGRATION, INCIDENT_ROLE_COLUMNS, SqlIncidentActions } from "./incident-actions.ts";
import {
  INCIDENT_BOOK_MIGRATION,
  INCIDENT_CHANNEL_COLUMNS,
  INCIDENT_LIVE_COLUMNS,
  INCIDENT_OPEN_INDEX,
  INCIDENT_SEVERITY_COLUMNS,
  OUTBOX_MIGRATION,
  SNOOZES_MIGRATION,
  SqlDeliveries,
  SqlIncidentBook,
} from "./incident-book.ts";
import { INCIDENT_MIRRORS_MIGRATION, SqlIncidentMirrors } from "./incident-mirrors.ts";
import { addColumnIfMissing, applyMigrations, type SchemaMigrations } from "./migrations.ts";
import { EVIDENCE_COLUMN, SqlTeamMessages, TEAM_MESSAGES_MIGRATION } from "./team-messages.ts";
import { SqlTicketBook, TICKET_BOOK_MIGRATION } from "./ticket-book.ts";

/**
 * The state every runtime keeps (hosts, enrollment codes, incidents, jobs) in SQLite: one
 * schema and one set of queries for node:sqlite (src/node/sqlite-store.ts) and Durable Object
 * SQLite (src/worker/do-sql-store.ts). A runtime supplies only the driver below. Writes whose
 * effect matters use `RETURNING`, which both engines answer the same way.
 */

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlDriver {
  /** Runs a script of statements (the schema). */
  exec(script: string): void;
  /** Runs one statement and returns its rows (none for a write without RETURNING). */
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
  /** Runs `fn` atomically (the migrations at start). */
  transaction(fn: () => void): void;
  /** The database, as messages to a person name it: a file's path, "the directory object's SQLite". */
  readonly name: string;
}

/**
 * The state's schema, one numbered step at a time (migrations.ts): recorded in the database,
 * applied at start. 1-4 are what databases had before the ledger (a3938bf and after), so they
 * accept a database that already has their table, column or index.
 */
export const STATE_MIGRATIONS: SchemaMigrations = {
  schema: "state",
  migrations: [
    {
      id: 1,
      name: "hosts, enrollment codes, incidents, jobs, requests, claims, job results, watch states",
      up: `
CREATE TABLE IF NOT EXISTS hosts (
  name TEXT PRIMARY KEY, public_key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER,
  agent_version TEXT, gateway_version TEXT, last_seen_at INTEGER);
CREATE TABLE IF NOT EXISTS enrollment_codes (
  code_hash TEXT PRIMARY KEY, host TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, channel TEXT NOT NULL, host TEXT NOT NULL, thread_ts TEXT NOT NULL, opened_at INTEGER NOT NULL,
  UNIQUE (channel, host));
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, request_key TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL, user TEXT NOT NULL, thread_ts TEXT, progress_ts TEXT, result_ts TEXT, created_at INTEGER NOT NULL,
  finished_at INTEGER, detail TEXT);
-- listJobs (/readyz, \`jobs\`, the jobs a restart finds running) reads newest first: through this
-- index it reads the rows it returns, not the whole table and a sort.
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS claims_until ON claims (until);
CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT NOT NULL, step TEXT NOT NULL, result TEXT NOT NULL, PRIMARY KEY (job_id, step));
CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL);
`,
    },
    // Fleet tags. Was "add the column if it is missing" in src/node/sqlite-store.ts.
    { id: 2, name: "hosts.tags", up: (sql) => addColumnIfMissing(sql, "hosts", "tags", "TEXT") },
    // jobs_status, which no query could use, cost every job a write.
    { id: 3, name: "drop index jobs_status", up: "DROP INDEX IF EXISTS jobs_status;" },
    { id: 4, name: "incident records and their timelines", up: INCIDENT_BOOK_MIGRATION },
    {
      id: 5,
      name: "incident phase, grouping, counts and live header",
      up: (sql) => {
        for (const [column, definition] of INCIDENT_LIVE_COLUMNS) {
          addColumnIfMissing(sql, "incident_records", column, definition);
        }
        sql.exec(INCIDENT_OPEN_INDEX);
      },
    },
    { id: 6, name: "findings snoozed on hosts", up: SNOOZES_MIGRATION },
    { id: 7, name: "incident tickets and their links", up: TICKET_BOOK_MIGRATION },
    {
      id: 8,
      name: "incident severity and acknowledgement, the delivery outbox, signal fates",
      up: (sql) => {
        for (const [column, definition] of INCIDENT_SEVERITY_COLUMNS) {
          addColumnIfMissing(sql, "incident_records", column, definition);
        }
        sql.exec(OUTBOX_MIGRATION);
      },
    },
    {
      id: 9,
      name: "the team's messages in incident threads, incidents by thread, the evidence's start",
      up: (sql) => {
        addColumnIfMissing(sql, "incident_records", ...EVIDENCE_COLUMN);
        sql.exec(TEAM_MESSAGES_MIGRATION);
      },
    },
    {
      id: 10,
      name: "an incident's own channel and its header there",
      up: (sql) => {
        for (const [column, definition] of INCIDENT_CHANNEL_COLUMNS) {
          addColumnIfMissing(sql, "incident_records", column, definition);
        }
      },
    },
    {
      id: 11,
      name: "incident roles (comms, scribe) and follow-up actions",
      up: (sql) => {
        for (const [column, definition] of INCIDENT_ROLE_COLUMNS) {
          addColumnIfMissing(sql, "incident_records", column, definition);
        }
        sql.exec(INCIDENT_ACTIONS_MIGRATION);
      },
    },
    { id: 12, name: "incident threads on mirror chats", up: INCIDENT_MIRRORS_MIGRATION },
    // Issue 45: a command's request identity is a claim like any other (claims.ts), with its own
    // expiry; the identities recorded before it are kept as claims for a day, the longest any
    // caller remembers one (a Teams activity, a Mattermost press). The `requests` table stays, unused.
    {
      id: 13,
      name: "request identities become claims",
      up: "INSERT OR IGNORE INTO claims (key, until) SELECT key, at + 86400000 FROM requests;",
    },
  ],
};

const JOB_COLUMNS: Record<keyof JobPatch, string> = {
  status: "status",
  threadTs: "thread_ts",
  progressTs: "progress_ts",
  resultTs: "result_ts",
  finishedAt: "finished_at",
  detail: "detail",
};

/** listJobs: newest first, through jobs_created (see STATE_MIGRATIONS). */
export const LIST_JOBS_SQL =
  "SELECT * FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR host = ?2) ORDER BY created_at DESC LIMIT ?3";

export class SqlStateStore implements Store {
  protected readonly driver: SqlDriver;
  /** "Once per key, until a time" (claims.ts, over the `claims` table). */
  private readonly claims: SqlClaims;

  /** The incident records (incident-book.ts: their schema and queries, in one place). */
  private readonly book: SqlIncidentBook;
  /** The outbox and the signals' fates (incident-book.ts). */
  private readonly deliveries: SqlDeliveries;

  /** Applies the state's migrations first (SchemaError: a database newer than this code, or a failed step). */
  constructor(driver: SqlDriver, now: () => number = Date.now) {
    this.driver = driver;
    applyMigrations(driver, STATE_MIGRATIONS, { transaction: driver.transaction, now, where: driver.name });
    this.claims = new SqlClaims(driver);
    this.book = new SqlIncidentBook(driver);
    this.deliveries = new SqlDeliveries(driver);
    this.tickets = new SqlTicketBook(driver);
    this.messages = new SqlTeamMessages(driver);
    this.actions = new SqlIncidentActions(driver);
    this.mirrors = new SqlIncidentMirrors(driver);
  }

  /** Incidents' threads on mirror chats (incident-mirrors.ts, issue 43). */
  private readonly mirrors: SqlIncidentMirrors;

  recordMirrorThread(incidentId: string, channel: string, ts: string, at: number): Promise<IncidentMirror> {
    return this.mirrors.recordMirrorThread(incidentId, channel, ts, at);
  }
  giveUpMirror(incidentId: string, channel: string, error: string, at: number): Promise<boolean> {
    return this.mirrors.giveUpMirror(incidentId, channel, error, at);
  }
  incidentMirrors(incidentId: string): Promise<IncidentMirror[]> {
    return this.mirrors.incidentMirrors(incidentId);
  }

  /** The team's messages in incident threads (team-messages.ts: their schema and queries). */
  private readonly messages: SqlTeamMessages;

  incidentByThread(channel: string, threadTs: string): Promise<Incident | null> {
    return this.book.incidentByThread(channel, threadTs);
  }
  incidentByOwnChannel(channel: string): Promise<Incident | null> {
    return this.book.incidentByOwnChannel(channel);
  }
  recordTeamMessage(message: NewTeamMessage): Promise<{ created: boolean; message: TeamMessage }> {
    return this.messages.recordTeamMessage(message);
  }
  teamMessage(channel: string, ts: string): Promise<TeamMessage | null> {
    return this.messages.teamMessage(channel, ts);
  }
  editTeamMessage(channel: string, ts: string, text: string, at: number): Promise<TeamMessage | null> {
    return this.messages.editTeamMessage(channel, ts, text, at);
  }
  deleteTeamMessage(channel: string, ts: string, at: number): Promise<TeamMessage | null> {
    return this.messages.deleteTeamMessage(channel, ts, at);
  }
  pinTeamMessage(channel: string, ts: string, delta: 1 | -1, by: string, at: number): Promise<TeamMessage | null> {
    return this.messages.pinTeamMessage(channel, ts, delta, by, at);
  }
  teamMessages(incidentId: string): Promise<TeamMessage[]> {
    return this.messages.teamMessages(incidentId);
  }

  /** The incidents' follow-up actions (incident-actions.ts, issue 41). */
  private readonly actions: SqlIncidentActions;

  addIncidentAction(action: Omit<IncidentAction, "n" | "state" | "doneAt" | "doneBy">): Promise<IncidentAction | null> {
    return this.actions.addIncidentAction(action);
  }
  listIncidentActions(filter: { incidentId?: string; open?: boolean; limit?: number }): Promise<IncidentAction[]> {
    return this.actions.listIncidentActions(filter);
  }
  closeIncidentAction(incidentId: string, n: number, by: string, at: number): Promise<IncidentAction | null> {
    return this.actions.closeIncidentAction(incidentId, n, by, at);
  }

  /** The incidents' tickets (ticket-book.ts: their schema and queries, in one place). */
  private readonly tickets: SqlTicketBook;

  insertTicket(ticket: IncidentTicket): Promise<IncidentTicket> {
    return this.tickets.insertTicket(ticket);
  }
  getTicket(id: string): Promise<IncidentTicket | null> {
    return this.tickets.getTicket(id);
  }
  findOpenTicket(host: string, finding: string): Promise<IncidentTicket | null> {
    return this.tickets.findOpenTicket(host, finding);
  }
  ticketsByKey(system: TicketSystem, key: string): Promise<IncidentTicket[]> {
    return this.tickets.ticketsByKey(system, key);
  }
  ticketIncidents(ticketId: string): Promise<string[]> {
    return this.tickets.ticketIncidents(ticketId);
  }
  incidentTickets(incidentId: string): Promise<IncidentTicket[]> {
    return this.tickets.incidentTickets(incidentId);
  }
  linkTicket(incidentId: string, ticketId: string, kind: TicketLinkKind, at: number): Promise<void> {
    return this.tickets.linkTicket(incidentId, ticketId, kind, at);
  }
  updateTicket(id: string, patch: TicketPatch): Promise<IncidentTicket | null> {
    return this.tickets.updateTicket(id, patch);
  }

  openIncident(incident: Incident, key: string): Promise<Incident> {
    return this.book.openIncident(incident, key);
  }
  findOpenIncident(key: string): Promise<Incident | null> {
    return this.book.findOpenIncident(key);
  }
  getIncident(id: string): Promise<Incident | null> {
    return this.book.getIncident(id);
  }
  listIncidents(filter: { open?: boolean; limit?: number }): Promise<Incident[]> {
    return this.book.listIncidents(filter);
  }
  updateIncident(
    id: string,
    from: readonly IncidentState[],
    patch: IncidentPatch,
    inPhase?: IncidentPhase,
  ): Promise<Incident | null> {
    return this.book.updateIncident(id, from, patch, inPhase);
  }
  appendIncidentEvent(event: Omit<IncidentEvent, "seq">): Promise<number> {
    return this.book.appendIncidentEvent(event);
  }
  incidentTimeline(id: string): Promise<IncidentEvent[]> {
    return this.book.incidentTimeline(id);
  }

  enqueueOutbox(item: Omit<OutboxItem, "state" | "attempts" | "lastError" | "told" | "doneAt">): Promise<boolean> {
    return this.deliveries.enqueueOutbox(item);
  }

  claimOutbox(now: number, leaseUntil: number, limit: number): Promise<OutboxItem[]> {
    return this.deliveries.claimOutbox(now, leaseUntil, limit);
  }

  settleOutbox(id: string, patch: OutboxPatch): Promise<void> {
    return this.deliveries.settleOutbox(id, patch);
  }

  listOutbox(filter: { incidentId?: string; state?: OutboxState; limit?: number }): Promise<OutboxItem[]> {
    return this.deliveries.listOutbox(filter);
  }

  recordSignal(signal: Omit<SignalFate, "seq">): Promise<void> {
    return this.deliveries.recordSignal(signal);
  }

  listSignals(filter: { incidentId?: string; host?: string; limit?: number }): Promise<SignalFate[]> {
    return this.deliveries.listSignals(filter);
  }

  countIncident(id: string, delta: Partial<IncidentCounts>, at: number): Promise<Incident | null> {
    return this.book.countIncident(id, delta, at);
  }

  joinIncident(id: string, host: string): Promise<Incident | null> {
    return this.book.joinIncident(id, host);
  }

  staleHeaders(editedBefore: number): Promise<Incident[]> {
    return this.book.staleHeaders(editedBefore);
  }

  putSnooze(snooze: Snooze): Promise<void> {
    return this.book.putSnooze(snooze);
  }

  listSnoozes(): Promise<Snooze[]> {
    return this.book.listSnoozes();
  }

  removeSnooze(host: string, finding: string): Promise<Snooze | null> {
    return this.book.removeSnooze(host, finding);
  }

  countSnoozed(host: string, finding: string, n: number): Promise<void> {
    return this.book.countSnoozed(host, finding, n);
  }

  private first(sql: string, ...params: SqlValue[]): SqlRow | undefined {
    return this.driver.rows(sql, ...params)[0];
  }

  async getHost(name: string): Promise<HostRecord | null> {
    const row = this.first("SELECT * FROM hosts WHERE name = ?", name);
    return row ? toHost(row) : null;
  }

  async listHosts(): Promise<HostRecord[]> {
    return this.driver.rows("SELECT * FROM hosts ORDER BY name").map(toHost);
  }

  async insertHost(h: HostRecord): Promise<boolean> {
    // A revoked host may be enrolled again with a new key.
    const changed = this.driver.rows(
      `INSERT INTO hosts (name, public_key, enrolled_at, revoked_at, agent_version, gateway_version, last_seen_at)
         VALUES (?, ?, ?, NULL, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, enrolled_at = excluded.enrolled_at,
           revoked_at = NULL, last_seen_at = NULL
         WHERE hosts.revoked_at IS NOT NULL
         RETURNING name`,
      h.name,
      h.publicKey,
      h.enrolledAt,
      h.agentVersion,
      h.gatewayVersion,
      h.lastSeenAt,
    );
    return changed.length > 0;
  }

  async recordHostSeen(
    name: string,
    seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null },
  ): Promise<void> {
    this.driver.rows(
      `UPDATE hosts SET last_seen_at = ?, agent_version = COALESCE(?, agent_version),
           gateway_version = COALESCE(?, gateway_version) WHERE name = ?`,
      seen.at,
      seen.agentVersion ?? null,
      seen.gatewayVersion ?? null,
      name,
    );
  }

  async setHostTags(name: string, tags: string[]): Promise<boolean> {
    return (
      this.driver.rows("UPDATE hosts SET tags = ? WHERE name = ? RETURNING name", JSON.stringify(tags), name).length > 0
    );
  }

  async revokeHost(name: string, at: number): Promise<boolean> {
    return (
      this.driver.rows("UPDATE hosts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING name", at, name)
        .length > 0
    );
  }

  async deleteHost(name: string): Promise<boolean> {
    return this.driver.rows("DELETE FROM hosts WHERE name = ? RETURNING name", name).length > 0;
  }

  async insertEnrollmentCode(code: { codeHash: string; host: string; expiresAt: number; createdAt: number }) {
    this.driver.rows(
      "INSERT INTO enrollment_codes (code_hash, host, created_at, expires_at) VALUES (?, ?, ?, ?)",
      code.codeHash,
      code.host,
      code.createdAt,
      code.expiresAt,
    );
  }

  async consumeEnrollmentCode(codeHash: string, now: number): Promise<{ host: string } | null> {
    const row = this.first(
      "UPDATE enrollment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING host",
      now,
      codeHash,
      now,
    );
    return row ? { host: String(row.host) } : null;
  }

  claim(key: string, now: number, until: number): Promise<boolean> {
    return this.claims.claim(key, now, until);
  }

  release(key: string, until: number): Promise<void> {
    return this.claims.release(key, until);
  }

  async findIncident(channel: string, host: string): Promise<IncidentThread | null> {
    const row = this.first("SELECT * FROM incidents WHERE channel = ? AND host = ?", channel, host);
    return row
      ? {
          id: String(row.id),
          channel: String(row.channel),
          host: String(row.host),
          threadTs: String(row.thread_ts),
          openedAt: Number(row.opened_at),
        }
      : null;
  }

  async forgetIncidentThread(channel: string, host: string, threadTs: string): Promise<void> {
    this.driver.rows("DELETE FROM incidents WHERE channel = ? AND host = ? AND thread_ts = ?", channel, host, threadTs);
  }

  async insertIncident(i: IncidentThread): Promise<void> {
    this.driver.rows(
      "INSERT OR IGNORE INTO incidents (id, channel, host, thread_ts, opened_at) VALUES (?, ?, ?, ?, ?)",
      i.id,
      i.channel,
      i.host,
      i.threadTs,
      i.openedAt,
    );
  }

  async createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    const inserted = this.driver.rows(
      `INSERT OR IGNORE INTO jobs (id, host, kind, status, request_key, channel, user, thread_ts, progress_ts, created_at, finished_at, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      job.id,
      job.host,
      job.kind,
      job.status,
      job.requestKey,
      job.channel,
      job.user,
      job.threadTs,
      job.progressTs,
      job.createdAt,
      job.finishedAt,
      job.detail,
    );
    if (inserted.length > 0) return { created: true, job };
    const existing = this.first("SELECT * FROM jobs WHERE request_key = ?", job.requestKey);
    if (!existing) throw new Error(`job ${job.id} was neither inserted nor found by its request key`);
    return { created: false, job: this.toJob(existing) };
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = this.first("SELECT * FROM jobs WHERE id = ?", id);
    return row ? this.toJob(row) : null;
  }

  async updateJob(id: string, patch: JobPatch): Promise<void> {
    const entries = Object.entries(patch).filter(([k]) => k in JOB_COLUMNS) as [keyof JobPatch, unknown][];
    if (entries.length === 0) return;
    const sql = `UPDATE jobs SET ${entries.map(([k]) => `${JOB_COLUMNS[k]} = ?`).join(", ")} WHERE id = ?`;
    this.driver.rows(sql, ...entries.map(([, v]) => (v === undefined ? null : (v as SqlValue))), id);
  }

  async appendJobResult(id: string, result: StepResult): Promise<void> {
    this.driver.rows(
      "INSERT OR REPLACE INTO job_results (job_id, step, result) VALUES (?, ?, ?)",
      id,
      result.step,
      JSON.stringify(result),
    );
  }

  async listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]> {
    return this.driver
      .rows(LIST_JOBS_SQL, filter.status ?? null, filter.host ?? null, filter.limit ?? 100)
      .map((r) => this.toJob(r));
  }
  async getWatch(host: string): Promise<WatchRecord | null> {
    const row = this.first("SELECT state FROM host_watch WHERE host = ?", host);
    return row ? (JSON.parse(String(row.state)) as WatchRecord) : null;
  }

  async putWatch(record: WatchRecord): Promise<void> {
    this.driver.rows(
      `INSERT INTO host_watch (host, state, reported_at) VALUES (?, ?, ?)
         ON CONFLICT (host) DO UPDATE SET state = excluded.state, reported_at = excluded.reported_at`,
      record.host,
      JSON.stringify(record),
      record.reportedAt,
    );
  }

  async listWatch(): Promise<WatchRecord[]> {
    return this.driver.rows("SELECT state FROM host_watch").map((r) => JSON.parse(String(r.state)) as WatchRecord);
  }

  private toJob(row: SqlRow): JobRecord {
    const results = this.driver.rows("SELECT result FROM job_results WHERE job_id = ?", String(row.id)).flatMap((r) => {
      const parsed = StepResult.safeParse(JSON.parse(String(r.result)));
      return parsed.success ? [parsed.data] : [];
    });
    return {
      id: String(row.id),
      host: String(row.host),
      kind: row.kind === "bundle" ? "bundle" : "triage",
      status: row.status as JobStatus,
      requestKey: String(row.request_key),
      channel: String(row.channel),
      user: String(row.user),
      threadTs: nullableString(row.thread_ts),
      progressTs: nullableString(row.progress_ts),
      resultTs: nullableString(row.result_ts),
      createdAt: Number(row.created_at),
      finishedAt: nullableNumber(row.finished_at),
      results,
      detail: nullableString(row.detail),
    };
  }
}

function nullableString(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function toHost(row: SqlRow): HostRecord {
  return {
    name: String(row.name),
    publicKey: String(row.public_key),
    enrolledAt: Number(row.enrolled_at),
    revokedAt: nullableNumber(row.revoked_at),
    agentVersion: nullableString(row.agent_version),
    gatewayVersion: nullableString(row.gateway_version),
    lastSeenAt: nullableNumber(row.last_seen_at),
    ...(typeof row.tags === "string" ? { tags: parseTags(row.tags) } : {}),
  };
}

function parseTags(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}
