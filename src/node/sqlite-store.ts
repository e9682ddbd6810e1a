import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ConsoleEvent, ConsoleLog } from "../core/console-feed.ts";
import type { HostRecord, IncidentRecord, JobPatch, JobRecord, JobStatus, Store } from "../core/ports.ts";
import { StepResult } from "../core/probes/catalog.ts";

/**
 * The Node runtime's state: one SQLite file (node:sqlite) under the data folder. Hosts,
 * incidents, jobs and console messages survive a control-plane restart.
 */
const SCHEMA = `
PRAGMA journal_mode = WAL;
-- WAL + NORMAL: durable across process crashes, one fsync per checkpoint instead of per write.
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
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
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT NOT NULL, step TEXT NOT NULL, result TEXT NOT NULL, PRIMARY KEY (job_id, step));
CREATE TABLE IF NOT EXISTS console_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT,
  text TEXT NOT NULL, blocks TEXT NOT NULL, at INTEGER NOT NULL);
`;

type Row = Record<string, string | number | null>;
type Statement = ReturnType<DatabaseSync["prepare"]>;

export class SqliteStore implements Store, ConsoleLog {
  readonly db: DatabaseSync;
  /** Compiling SQL costs more than running these statements: prepare each text once. */
  private readonly statements = new Map<string, Statement>();

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(SCHEMA);
    // Added for fleet tags; older databases get the column on open.
    const columns = this.db.prepare("PRAGMA table_info(hosts)").all() as Row[];
    if (!columns.some((c) => c.name === "tags")) this.db.exec("ALTER TABLE hosts ADD COLUMN tags TEXT");
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private sql(text: string): Statement {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  async getHost(name: string): Promise<HostRecord | null> {
    const row = this.sql("SELECT * FROM hosts WHERE name = ?").get(name) as Row | undefined;
    return row ? toHost(row) : null;
  }

  async listHosts(): Promise<HostRecord[]> {
    return (this.sql("SELECT * FROM hosts ORDER BY name").all() as Row[]).map(toHost);
  }

  async insertHost(h: HostRecord): Promise<boolean> {
    // A revoked host may be enrolled again with a new key.
    const res = this.sql(
      `INSERT INTO hosts (name, public_key, enrolled_at, revoked_at, agent_version, gateway_version, last_seen_at)
         VALUES (?, ?, ?, NULL, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, enrolled_at = excluded.enrolled_at,
           revoked_at = NULL, last_seen_at = NULL
         WHERE hosts.revoked_at IS NOT NULL`,
    ).run(h.name, h.publicKey, h.enrolledAt, h.agentVersion, h.gatewayVersion, h.lastSeenAt);
    return Number(res.changes) > 0;
  }

  async recordHostSeen(
    name: string,
    seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null },
  ) {
    this.sql(
      `UPDATE hosts SET last_seen_at = ?, agent_version = COALESCE(?, agent_version),
           gateway_version = COALESCE(?, gateway_version) WHERE name = ?`,
    ).run(seen.at, seen.agentVersion ?? null, seen.gatewayVersion ?? null, name);
  }

  async setHostTags(name: string, tags: string[]): Promise<boolean> {
    const res = this.sql("UPDATE hosts SET tags = ? WHERE name = ?").run(JSON.stringify(tags), name);
    return Number(res.changes) > 0;
  }

  async revokeHost(name: string, at: number): Promise<boolean> {
    const res = this.sql("UPDATE hosts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL").run(at, name);
    return Number(res.changes) > 0;
  }

  async insertEnrollmentCode(code: { codeHash: string; host: string; expiresAt: number; createdAt: number }) {
    this.sql("INSERT INTO enrollment_codes (code_hash, host, created_at, expires_at) VALUES (?, ?, ?, ?)").run(
      code.codeHash,
      code.host,
      code.createdAt,
      code.expiresAt,
    );
  }

  async consumeEnrollmentCode(codeHash: string, now: number): Promise<{ host: string } | null> {
    const row = this.sql(
      "UPDATE enrollment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING host",
    ).get(now, codeHash, now) as Row | undefined;
    return row ? { host: String(row.host) } : null;
  }

  async findIncident(channel: string, host: string): Promise<IncidentRecord | null> {
    const row = this.sql("SELECT * FROM incidents WHERE channel = ? AND host = ?").get(channel, host) as
      | Row
      | undefined;
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

  async insertIncident(i: IncidentRecord): Promise<void> {
    this.sql("INSERT OR IGNORE INTO incidents (id, channel, host, thread_ts, opened_at) VALUES (?, ?, ?, ?, ?)").run(
      i.id,
      i.channel,
      i.host,
      i.threadTs,
      i.openedAt,
    );
  }

  async createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    const res = this.sql(
      `INSERT OR IGNORE INTO jobs (id, host, kind, status, request_key, channel, user, thread_ts, progress_ts, created_at, finished_at, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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
    if (Number(res.changes) > 0) return { created: true, job };
    const existing = this.sql("SELECT * FROM jobs WHERE request_key = ?").get(job.requestKey) as Row;
    return { created: false, job: this.toJob(existing) };
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = this.sql("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    return row ? this.toJob(row) : null;
  }

  async updateJob(id: string, patch: JobPatch): Promise<void> {
    const cols: Record<string, string> = {
      status: "status",
      threadTs: "thread_ts",
      progressTs: "progress_ts",
      resultTs: "result_ts",
      finishedAt: "finished_at",
      detail: "detail",
    };
    const entries = Object.entries(patch).filter(([k]) => k in cols);
    if (entries.length === 0) return;
    const sql = `UPDATE jobs SET ${entries.map(([k]) => `${cols[k]} = ?`).join(", ")} WHERE id = ?`;
    this.sql(sql).run(...entries.map(([, v]) => (v === undefined ? null : (v as string | number | null))), id);
  }

  async appendJobResult(id: string, result: StepResult): Promise<void> {
    this.sql("INSERT OR REPLACE INTO job_results (job_id, step, result) VALUES (?, ?, ?)").run(
      id,
      result.step,
      JSON.stringify(result),
    );
  }

  async listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]> {
    const rows = this.sql(
      `SELECT * FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR host = ?2) ORDER BY created_at DESC LIMIT ?3`,
    ).all(filter.status ?? null, filter.host ?? null, filter.limit ?? 100) as Row[];
    return rows.map((r) => this.toJob(r));
  }

  async append(event: Omit<ConsoleEvent, "seq">): Promise<ConsoleEvent> {
    const row = this.sql(
      "INSERT INTO console_events (kind, channel, ts, thread_ts, text, blocks, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
    ).get(
      event.kind,
      event.channel,
      event.ts,
      event.threadTs,
      event.text,
      JSON.stringify(event.blocks),
      event.at,
    ) as Row;
    return { ...event, seq: Number(row.seq) };
  }

  async head(): Promise<number> {
    const row = this.sql("SELECT COALESCE(MAX(seq), 0) AS seq FROM console_events").get() as Row;
    return Number(row.seq);
  }

  async since(seq: number, limit = 500): Promise<ConsoleEvent[]> {
    const rows = this.sql("SELECT * FROM console_events WHERE seq > ? ORDER BY seq LIMIT ?").all(seq, limit) as Row[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      kind: r.kind as ConsoleEvent["kind"],
      channel: String(r.channel),
      ts: String(r.ts),
      threadTs: r.thread_ts === null ? null : String(r.thread_ts),
      text: String(r.text),
      blocks: JSON.parse(String(r.blocks)),
      at: Number(r.at),
    }));
  }

  private toJob(row: Row): JobRecord {
    const results = (this.sql("SELECT result FROM job_results WHERE job_id = ?").all(String(row.id)) as Row[]).flatMap(
      (r) => {
        const parsed = StepResult.safeParse(JSON.parse(String(r.result)));
        return parsed.success ? [parsed.data] : [];
      },
    );
    return {
      id: String(row.id),
      host: String(row.host),
      kind: row.kind === "bundle" ? "bundle" : "triage",
      status: row.status as JobStatus,
      requestKey: String(row.request_key),
      channel: String(row.channel),
      user: String(row.user),
      threadTs: row.thread_ts === null ? null : String(row.thread_ts),
      progressTs: row.progress_ts === null ? null : String(row.progress_ts),
      resultTs: row.result_ts === null || row.result_ts === undefined ? null : String(row.result_ts),
      createdAt: Number(row.created_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      results,
      detail: row.detail === null ? null : String(row.detail),
    };
  }
}

function toHost(row: Row): HostRecord {
  return {
    name: String(row.name),
    publicKey: String(row.public_key),
    enrolledAt: Number(row.enrolled_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    agentVersion: row.agent_version === null ? null : String(row.agent_version),
    gatewayVersion: row.gateway_version === null ? null : String(row.gateway_version),
    lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
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
