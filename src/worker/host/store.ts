import { applyMigrations, type SchemaMigrations } from "../../adapters/sql/migrations.ts";
import { durableObjectSqlDriver } from "../do-sql-store.ts";
import type { QueuedRun } from "../rpc.ts";
import { HOST_WATCH_TABLE, WatchTable } from "../watch-shard-store.ts";

/**
 * The host object's SQLite schema, in numbered migrations (src/adapters/sql/migrations.ts): its
 * job queue, results that arrived for no pending job, its recover claim, and its watch state
 * (docs/watch.md). Applied on every construction, so an object made before a table existed
 * gets it on its next start. Up to date, that is two reads and no write: a write (even a
 * `CREATE TABLE IF NOT EXISTS` that finds its table) costs the waking object a commit, and
 * 1,000 objects woken by a live `status all` paid that each (docs/benchmarks.md).
 */
export const HOST_MIGRATIONS: SchemaMigrations = {
  schema: "host",
  migrations: [
    {
      id: 1,
      name: "job queue, early results, recover claim, watch state",
      up: `
CREATE TABLE IF NOT EXISTS job_queue (job_id TEXT PRIMARY KEY, run TEXT NOT NULL, enqueued_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS early_results (job_id TEXT PRIMARY KEY, frame TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS recover_claim (run_id TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
${HOST_WATCH_TABLE};
`,
    },
    {
      // Objects from before bundles ran here queued triages only, in `triage_queue`: move them.
      id: 2,
      name: "triage_queue moved into job_queue",
      up: (sql) => {
        if (sql.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'triage_queue'").length === 0)
          return;
        sql.exec(`
          INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at)
            SELECT job_id, '{"kind":"triage"}', enqueued_at FROM triage_queue;
          DROP TABLE triage_queue;
        `);
      },
    },
  ],
};

/** Applies the host object's migrations (SchemaError: an object written by a newer clawops). */
export function migrateHostTables(storage: DurableObjectStorage, host = "a host"): number[] {
  return applyMigrations(durableObjectSqlDriver(storage, `the host object's SQLite (${host})`), HOST_MIGRATIONS, {
    transaction: (fn) => storage.transactionSync(fn),
    now: Date.now,
    where: `the host object's SQLite (${host})`,
  });
}

/**
 * Every statement on the host object's SQLite, a named method each, by table. What the rows
 * mean (a job's turn, a result kept for a re-run, a claim taken over) is in the classes that
 * use them: queued-jobs.ts, early-results.ts, recover-claim.ts, watch-store.ts.
 */
export class HostStore {
  readonly jobs: JobQueueTable;
  readonly earlyResults: EarlyResultTable;
  readonly recoverClaim: RecoverClaimTable;
  /** This host's own watch state (the table the watch shards keep too). */
  readonly watch: WatchTable;

  constructor(sql: SqlStorage) {
    this.jobs = new JobQueueTable(sql);
    this.earlyResults = new EarlyResultTable(sql);
    this.recoverClaim = new RecoverClaimTable(sql);
    this.watch = new WatchTable(sql);
  }
}

export interface QueuedJob {
  jobId: string;
  run: QueuedRun;
  enqueuedAt: number;
}

type QueueRow = { job_id: string; run: string; enqueued_at: number };

/**
 * The host object's triage and bundle jobs (`job_queue`), oldest first. A job stays here until
 * its run ended, so one interrupted by a reset of the object runs again.
 */
export class JobQueueTable {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Queues a job once: the same job id again is ignored. */
  enqueue(jobId: string, run: QueuedRun, at: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at) VALUES (?, ?, ?)",
      jobId,
      JSON.stringify(run),
      at,
    );
  }

  next(): QueuedJob | null {
    const row = this.sql.exec<QueueRow>("SELECT * FROM job_queue ORDER BY enqueued_at, job_id LIMIT 1").toArray()[0];
    return row ? { jobId: row.job_id, run: JSON.parse(row.run) as QueuedRun, enqueuedAt: row.enqueued_at } : null;
  }

  get size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM job_queue").one().n;
  }

  remove(jobId: string): void {
    this.sql.exec("DELETE FROM job_queue WHERE job_id = ?", jobId);
  }
}

/** Result frames kept for no pending job (`early_results`), as JSON text, by job id. */
export class EarlyResultTable {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Keeps a job's frame, over one kept for it before. */
  put(jobId: string, frame: string, at: number): void {
    this.sql.exec("INSERT OR REPLACE INTO early_results (job_id, frame, at) VALUES (?, ?, ?)", jobId, frame, at);
  }

  get count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM early_results").one().n;
  }

  /** The frame kept for the job, if any. */
  frame(jobId: string): string | null {
    const row = this.sql
      .exec<{ frame: string }>("SELECT frame FROM early_results WHERE job_id = ?", jobId)
      .toArray()[0];
    return row ? row.frame : null;
  }

  remove(jobId: string): void {
    this.sql.exec("DELETE FROM early_results WHERE job_id = ?", jobId);
  }

  /** Drops the frames kept before `at`. */
  removeBefore(at: number): void {
    this.sql.exec("DELETE FROM early_results WHERE at < ?", at);
  }

  /** When the oldest frame kept was kept, if any is. */
  oldestAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM early_results").one().at;
  }
}

export interface RecoverClaimRow {
  runId: string;
  claimedAt: number;
}

/** The host's recover claim (`recover_claim`): at most one row, the run that holds the host. */
export class RecoverClaimTable {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  holder(): RecoverClaimRow | null {
    const row = this.sql
      .exec<{ run_id: string; claimed_at: number }>("SELECT run_id, claimed_at FROM recover_claim")
      .toArray()[0];
    return row ? { runId: row.run_id, claimedAt: row.claimed_at } : null;
  }

  /** The claim is `runId`'s from `at`, whoever held it before. */
  replace(runId: string, at: number): void {
    this.sql.exec("DELETE FROM recover_claim");
    this.sql.exec("INSERT INTO recover_claim (run_id, claimed_at) VALUES (?, ?)", runId, at);
  }

  /** Gives the claim back, if `runId` holds it. */
  remove(runId: string): void {
    this.sql.exec("DELETE FROM recover_claim WHERE run_id = ?", runId);
  }
}
