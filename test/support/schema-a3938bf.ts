/**
 * The schema a database made by a3938bf (the commit issue 32 was filed against) has, verbatim
 * from that commit's code, for the migration tests on Node and in workerd:
 *
 *   git show a3938bf:src/adapters/sql/state-store.ts     (STATE_SCHEMA)
 *   git show a3938bf:src/adapters/sql/recovery-store.ts  (RECOVERY_SCHEMA, then its constructor's
 *                                                          "add the column if it is missing": freezes.auto)
 *   git show a3938bf:src/node/sqlite-store.ts            (CONSOLE_SCHEMA, Node only)
 *
 * In that order is what its first start ran on an empty database. No migrations ledger.
 */
export const A3938BF_STATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS hosts (
  name TEXT PRIMARY KEY, public_key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER,
  agent_version TEXT, gateway_version TEXT, last_seen_at INTEGER, tags TEXT);
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
-- index it reads the rows it returns, not the whole table and a sort. jobs_status, which no query
-- could use, cost every job a write and is dropped.
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
DROP INDEX IF EXISTS jobs_status;
CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS claims_until ON claims (until);
CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT NOT NULL, step TEXT NOT NULL, result TEXT NOT NULL, PRIMARY KEY (job_id, step));
CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL);
`;

export const A3938BF_RECOVERY_SCHEMA = `
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
  expires_at INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT, decision TEXT, offers_drain INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS scheduled_freezes (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, owner TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  channel TEXT NOT NULL, created_at INTEGER NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
  stage TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scheduled_freezes_start ON scheduled_freezes (starts_at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
ALTER TABLE freezes ADD COLUMN auto TEXT;
`;

export const A3938BF_CONSOLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS console_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT,
  text TEXT NOT NULL, blocks TEXT NOT NULL, at INTEGER NOT NULL);
`;
