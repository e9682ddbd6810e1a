/** The host object's tables, each created if missing. */
const TABLES: Record<string, string> = {
  job_queue:
    "CREATE TABLE IF NOT EXISTS job_queue (job_id TEXT PRIMARY KEY, run TEXT NOT NULL, enqueued_at INTEGER NOT NULL)",
  early_results:
    "CREATE TABLE IF NOT EXISTS early_results (job_id TEXT PRIMARY KEY, frame TEXT NOT NULL, at INTEGER NOT NULL)",
  recover_claim: "CREATE TABLE IF NOT EXISTS recover_claim (run_id TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL)",
  host_watch:
    "CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL)",
};

/**
 * The host object's SQLite tables: its job queue, results that arrived for no pending job,
 * its recover claim, and its watch state (docs/watch.md). Checked on every construction, so an
 * object made before a table existed gets it on its next start. The check is one read: a
 * `CREATE TABLE IF NOT EXISTS` counts as a write even when the table is there, and a write
 * costs the waking object a commit; 1,000 objects woken by a live `status all` paid that
 * each (docs/benchmarks.md).
 */
export function migrateHostTables(sql: SqlStorage): void {
  const have = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name),
  );
  for (const [name, ddl] of Object.entries(TABLES)) if (!have.has(name)) sql.exec(ddl);
  // Objects from before bundles ran here queued triages only, in `triage_queue`: move them.
  if (have.has("triage_queue")) {
    sql.exec(`
      INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at)
        SELECT job_id, '{"kind":"triage"}', enqueued_at FROM triage_queue;
      DROP TABLE triage_queue;
    `);
  }
}
