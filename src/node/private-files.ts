import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";

/**
 * The data folder holds the SQLite state (enrolled keys, jobs, audit), the link secret and
 * the approval key: readable by the control plane's user only (issue 15, item 9: the SQLite
 * file was 0644). A folder made here is 0700; files are 0600 whatever the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Makes `path` exist as an empty 0600 file before a library (node:sqlite) opens it with the
 * umask's mode, and tightens files left 0644 by older versions. SQLite creates its -wal and
 * -shm files with the database file's mode, so they follow; existing ones are tightened too.
 */
export function ensurePrivateFile(path: string, companions: readonly string[] = []): void {
  if (!existsSync(path)) closeSync(openSync(path, "a", PRIVATE_FILE_MODE));
  for (const p of [path, ...companions]) if (existsSync(p)) chmodSync(p, PRIVATE_FILE_MODE);
}
