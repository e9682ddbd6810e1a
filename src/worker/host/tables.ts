/**
 * The host object's SQLite tables: its job queue, results that arrived for no pending job,
 * its recover claim, and its watch state (docs/watch.md). Created on every construction (IF NOT EXISTS), so an object made
 * before a table existed gets it on its next start.
 */
export function migrateHostTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS job_queue (job_id TEXT PRIMARY KEY, run TEXT NOT NULL, enqueued_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS early_results (job_id TEXT PRIMARY KEY, frame TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS recover_claim (run_id TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL);
  `);
  // Objects from before bundles ran here queued triages only, in `triage_queue`: move them.
  const tables = sql.exec<{ name: string }>("PRAGMA table_list").toArray();
  if (tables.some((t) => t.name === "triage_queue")) {
    sql.exec(`
      INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at)
        SELECT job_id, '{"kind":"triage"}', enqueued_at FROM triage_queue;
      DROP TABLE triage_queue;
    `);
  }
}
