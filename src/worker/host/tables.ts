import { applyMigrations, type SchemaMigrations } from "../../adapters/sql/migrations.ts";
import { durableObjectSqlDriver } from "../do-sql-store.ts";

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
CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL);
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
