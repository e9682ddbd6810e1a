import { dirname, join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { ClawopsError } from "../core/errors.ts";

/**
 * A database another process holds the write lock of (a `sqlite3` shell left inside a
 * transaction, a copy tool, a second control plane started by hand on a copied lock): writes
 * answer `database_busy` (503, "try again") instead of a bare 500, and /readyz says busy.
 *
 * node:sqlite is synchronous: SQLite's busy handler sleeps on the thread that serves every
 * request. So a write waits at most BUSY_WAIT_MS (under the 3 s Slack gives an answer), and once
 * one found the lock taken, the next ones do not wait at all (busy_timeout 0) until a write goes
 * through again, or /readyz's probe finds the lock free: one stalled write, not one per request.
 * Nothing but this process writes the file (the instance lock), and a WAL checkpoint or a backup
 * (`clawops backup`) never holds the write lock, so in normal running this never triggers.
 */
export const BUSY_WAIT_MS = 2_000;

/** SQLITE_BUSY, SQLITE_LOCKED (node:sqlite's `errcode`, the primary code). */
const BUSY_CODES = new Set([5, 6]);
/** SQLITE_FULL: SQLite's answer to ENOSPC (and EDQUOT) on a write to the database or its WAL. */
const FULL_CODE = 13;
/** Statements that take the write lock (clawops' own SQL: its writes start with one of these). */
const WRITES = /^\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN IMMEDIATE)\b/i;

const busyDatabases = new WeakSet<DatabaseSync>();

export function isBusyError(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && BUSY_CODES.has(code & 0xff);
}

export function busyError(where: string, cause?: unknown): ClawopsError {
  return new ClawopsError(
    "database_busy",
    `The database is busy: another process holds the write lock of ${where}, so nothing was changed. Try again in a few seconds; if it stays busy, end the process that holds it (\`fuser ${where}\` names it: a sqlite3 shell left in a transaction, a copy tool).`,
    { status: 503, cause },
  );
}

export function isFullError(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && (code & 0xff) === FULL_CODE;
}

/**
 * Issue 44, item 5: a full data disk answered "internal error" (the command's write rolled back,
 * nobody told why). The person is told the disk is full and what to free; /readyz says so too
 * (data-disk.ts).
 */
export function diskFullError(where: string, cause?: unknown): ClawopsError {
  return new ClawopsError(
    "disk_full",
    `The data disk is full: clawops could not write ${where}, so nothing was changed. Free space on the disk that holds it (\`df -h ${dirname(where)}\`; old bundles are in ${join(dirname(where), "bundles")}), then try again.`,
    { status: 507, cause },
  );
}

function setWait(db: DatabaseSync, ms: number): void {
  db.exec(`PRAGMA busy_timeout = ${ms}`);
}

/**
 * Runs one statement of `sql`'s text on `db`, turning "database is locked" into `database_busy`
 * and "database or disk is full" into `disk_full`.
 */
export function guardBusy<T>(db: DatabaseSync, where: string, sql: string, run: () => T): T {
  try {
    const out = run();
    if (busyDatabases.has(db) && WRITES.test(sql)) {
      busyDatabases.delete(db);
      setWait(db, BUSY_WAIT_MS);
    }
    return out;
  } catch (err) {
    if (isFullError(err)) throw diskFullError(where, err);
    if (!isBusyError(err)) throw err;
    if (!busyDatabases.has(db)) {
      busyDatabases.add(db);
      setWait(db, 0);
    }
    throw busyError(where, err);
  }
}

/**
 * Whether a write could start now, without waiting and without writing: BEGIN IMMEDIATE takes
 * the write lock or fails at once, ROLLBACK lets it go. Inside this connection's own open
 * transaction (a write batch) the answer is what the last write found. Throws `database_busy`.
 */
export function probeWrites(db: DatabaseSync, where: string): void {
  if (db.isTransaction) {
    if (busyDatabases.has(db)) throw busyError(where);
    return;
  }
  setWait(db, 0);
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    busyDatabases.delete(db);
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    if (!isBusyError(err)) throw err;
    busyDatabases.add(db);
    throw busyError(where, err);
  } finally {
    if (!busyDatabases.has(db)) setWait(db, BUSY_WAIT_MS);
  }
}
