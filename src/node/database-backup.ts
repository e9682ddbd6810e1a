import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import * as sqlite from "node:sqlite";
import { DatabaseSync } from "node:sqlite";
import { ensurePrivateFile } from "./private-files.ts";

/**
 * `clawops backup <file>` (issue 32, item 9): a consistent copy of the control plane's database
 * while it runs. SQLite's online backup API (node:sqlite `backup`, Node 22.16+/23.8+) copies the
 * pages from a second connection; where node:sqlite has no `backup`, `VACUUM INTO` writes the
 * same snapshot in one read transaction. Neither takes the write lock (the database is in WAL
 * mode), so the control plane keeps answering. The copy is written beside the target and renamed
 * into place once SQLite has checked it, so a half-written file never carries the name; each
 * backup is recorded in the data folder (`backups.jsonl`), and a damaged database at start names
 * the newest one that still exists.
 */
export const DATABASE_FILE = "clawops.sqlite";
const BACKUP_LEDGER = "backups.jsonl";

export interface BackupRecord {
  file: string;
  at: number;
  bytes: number;
  method: "backup-api" | "vacuum-into";
}

export class BackupError extends Error {
  override readonly name = "BackupError";
}

/** Takes the backup of `<dataDir>/clawops.sqlite` into `file` (which must not exist yet). */
export async function backupDatabase(dataDir: string, file: string, now = Date.now()): Promise<BackupRecord> {
  const source = join(resolve(dataDir), DATABASE_FILE);
  const target = resolve(file);
  if (!existsSync(source)) {
    throw new BackupError(
      `no database at ${source}: run this where clawops keeps its data (./data), or set CLAWOPS_DATA_DIR`,
    );
  }
  if (existsSync(target))
    throw new BackupError(`${target} already exists: name a new file (backups are never overwritten)`);
  if (!existsSync(dirname(target))) throw new BackupError(`the folder ${dirname(target)} does not exist`);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  // Made 0600 before SQLite writes it: the files SQLite makes beside a database take its mode.
  ensurePrivateFile(partial);
  const db = new DatabaseSync(source);
  let method: BackupRecord["method"];
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    if (typeof sqlite.backup === "function") {
      // All pages in one step: a step that another connection's write interrupts starts over,
      // and one step leaves the least room for that.
      await sqlite.backup(db, partial, { rate: 2 ** 30 });
      method = "backup-api";
    } else {
      db.prepare("VACUUM INTO ?").run(partial);
      method = "vacuum-into";
    }
  } catch (err) {
    removeCopy(partial);
    throw new BackupError(`the backup of ${source} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db.close();
  }
  try {
    selfContained(partial);
    checkCopy(partial);
    ensurePrivateFile(partial);
    renameSync(partial, target);
  } catch (err) {
    removeCopy(partial);
    throw err;
  } finally {
    removeCompanions(partial);
  }
  const record: BackupRecord = { file: target, at: now, bytes: statSync(target).size, method };
  appendFileSync(join(resolve(dataDir), BACKUP_LEDGER), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return record;
}

/**
 * The copy carries the source's WAL mode in its header, so every connection to it made `-wal` and
 * `-shm` files beside it (issue 44, item 5: left behind, 0644). In rollback-journal mode it is one
 * self-contained file that a read-only check opens without them; a restored copy is switched back
 * to WAL by the control plane's own start.
 */
function selfContained(path: string): void {
  const copy = new DatabaseSync(path);
  try {
    copy.exec("PRAGMA journal_mode = DELETE");
  } finally {
    copy.close();
  }
}

function removeCompanions(path: string): void {
  for (const f of [`${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(f, { force: true });
}

function removeCopy(path: string): void {
  rmSync(path, { force: true });
  removeCompanions(path);
}

/** The copy opens, passes SQLite's quick check and holds the schema ledger. */
function checkCopy(path: string): void {
  const copy = new DatabaseSync(path, { readOnly: true });
  try {
    const check = copy.prepare("PRAGMA quick_check").get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== "ok") throw new BackupError(`the copy failed SQLite's check: ${check?.quick_check}`);
  } finally {
    copy.close();
  }
}

/** Every backup the data folder's ledger records, newest first (whether its file still exists or not). */
export function recordedBackups(dataDir: string): BackupRecord[] {
  let text: string;
  try {
    text = readFileSync(join(dataDir, BACKUP_LEDGER), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => {
      try {
        const r = JSON.parse(line) as BackupRecord;
        return typeof r.file === "string" && typeof r.at === "number" ? [r] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.at - a.at);
}

/** The newest recorded backup that still exists, if any. */
export function latestBackup(dataDir: string): BackupRecord | null {
  return recordedBackups(dataDir).find((r) => existsSync(r.file)) ?? null;
}

/**
 * Issue 44, item 2: a database file of 0 bytes is what a first start makes before SQLite writes
 * its first page (4 KiB as soon as WAL mode is set), so an empty file beside a ledger that
 * records a backup of it was emptied (truncated, or a copy that failed), not new. Opening it
 * would start a new database silently: the audit log and every host's enrollment gone. It is
 * refused with the backup to restore; removing the file is how to start empty on purpose.
 */
export function refuseEmptiedDatabase(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size > 0) return;
  const dir = dirname(path);
  const records = recordedBackups(dir);
  if (records.length === 0) return;
  throw new BackupError(emptiedDatabaseMessage(path, records));
}

function emptiedDatabaseMessage(path: string, records: readonly BackupRecord[]): string {
  const ledger = join(dirname(path), BACKUP_LEDGER);
  const newest = records[0] as BackupRecord;
  const latest = records.find((r) => existsSync(r.file)) ?? null;
  const n = records.length;
  const fresh = `To start with an empty database on purpose instead (hosts enroll again, the audit log starts over), remove the empty file and what SQLite left beside it (rm -f ${path} ${path}-wal ${path}-shm) and start clawops.`;
  const restore = latest
    ? `To restore the latest backup, ${latest.file} (taken ${new Date(latest.at).toISOString()} by \`clawops backup\`): stop clawops, then cp ${latest.file} ${path} (and remove ${path}-wal and ${path}-shm if they exist) and start clawops again. Whatever changed since that backup is lost.`
    : `None of the recorded backup files exists any more (the latest was ${newest.file}, taken ${new Date(newest.at).toISOString()}); if you have a copy of one, stop clawops, copy it to ${path} and start clawops again.`;
  return `The database ${path} is empty (0 bytes), but ${ledger} records ${n} backup${n === 1 ? "" : "s"} of it: it was emptied (truncated, or overwritten by a failed copy), so clawops does not start it as a new database, which would drop the audit log and every host's enrollment. ${restore} ${fresh}`;
}

/** SQLITE_CORRUPT, SQLITE_NOTADB. */
const DAMAGED_CODES = new Set([11, 26]);

export function isDamagedError(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && DAMAGED_CODES.has(code & 0xff);
}

/** What to tell a person whose database will not open: what is wrong, and how to get running again. */
export function damagedDatabaseMessage(path: string, cause: unknown): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  const latest = latestBackup(dirname(path));
  const aside = `move the damaged files aside (mv ${path} ${path}.damaged, and the same for ${path}-wal and ${path}-shm if they exist)`;
  const restore = latest
    ? `To restore the latest backup, ${latest.file} (taken ${new Date(latest.at).toISOString()} by \`clawops backup\`): stop clawops, ${aside}, then cp ${latest.file} ${path} and start clawops again. Whatever changed since that backup is lost.`
    : `No backup is recorded in ${dirname(path)} (\`clawops backup <file>\` takes one). Stop clawops, ${aside}, and start again with an empty database (hosts enroll again), or try to salvage it first: sqlite3 ${path}.damaged ".recover" | sqlite3 ${path}.`;
  return `The database ${path} is damaged (${why}), so clawops cannot start. ${restore}`;
}
