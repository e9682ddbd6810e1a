import {
  copyFileSync,
  type Dirent,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import type { ProbeContext } from "./context.ts";

/**
 * The gateway's state as it was before a switch, so a rollback can bring it back. What OpenClaw
 * 2026.9.6's first start changes in a 2026.9.5 state dir (measured on the lab gateway, a state
 * with one agent session, the acceptance's `sessions.create`):
 *   - `state/openclaw.sqlite`, the shared database: schema 17 → 18 (`schema_meta`, user_version);
 *   - `agents/main/agent/openclaw-agent.sqlite`, the agent's database, registered in the shared
 *     one's `agent_databases` table: schema 21 → 23;
 *   - `state/openclaw-quarantine.sqlite`: new;
 *   - beside each migrated file, its own `<file>.pre-startup-migration-<uuid>.bak`;
 *   - `openclaw.json`: unchanged.
 * 2026.9.5 then refuses to start on either migrated database ("database schema(s) are newer
 * than this build … agent database for agent main … uses schema 23; this build supports 21"), so
 * a switch back needs both. Kept here: `openclaw.json` and every OpenClaw database, found as
 * OpenClaw finds them: each SQLite file under `<state dir>/state/`, each agent database the
 * shared one registers (`agent_databases.path`, relative to the state dir or absolute; the same
 * resolution as 2026.9.6's `resolveOpenClawRegisteredAgentDatabasePath`), and any under
 * `<state dir>/agents/<id>/agent/`. Each is copied with SQLite's online backup (consistent while
 * the gateway writes) into `<versions dir>/.state-before-switch/` with a manifest; one backup,
 * replaced by the next switch.
 */
const FOLDER = ".state-before-switch";
const MANIFEST = "manifest.json";
/** The suffix of what a restore moves aside: the newer state, kept beside the file it was. */
export const NEWER_SUFFIX = ".clawops-newer";
const STAGED_SUFFIX = ".clawops-restore";
const SIDECARS = ["-wal", "-shm", "-journal"];

export interface DatabaseCopy {
  /** Where the database lives on the host (absolute). */
  path: string;
  /** Its copy, relative to the backup folder. */
  copy: string;
}

export interface StateBackup {
  /** The version that ran when it was taken, and the one the switch moved to. */
  from: string;
  to: string;
  takenAt: number;
  config: boolean;
  databases: DatabaseCopy[];
}

type Sqlite = typeof import("node:sqlite");

export async function backupState(
  ctx: ProbeContext,
  versionsDir: string,
  from: string,
  to: string,
): Promise<StateBackup> {
  // Loaded here only: an agent that never switches never opens SQLite.
  const sqlite = await import("node:sqlite");
  const dest = join(versionsDir, FOLDER);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(dest, "db"), { recursive: true, mode: 0o700 });
  const config = existsSync(ctx.configPath);
  if (config) copyFileSync(ctx.configPath, join(dest, "openclaw.json"));
  const databases: DatabaseCopy[] = [];
  for (const [i, path] of openclawDatabases(ctx.stateDir, sqlite).entries()) {
    const copy = join("db", `${i}-${basename(path)}`);
    const db = new sqlite.DatabaseSync(path, { readOnly: true });
    try {
      await sqlite.backup(db, join(dest, copy));
    } finally {
      db.close();
    }
    databases.push({ path, copy });
  }
  const made: StateBackup = { from, to, takenAt: Date.now(), config, databases };
  writeFileSync(join(dest, MANIFEST), `${JSON.stringify(made)}\n`, { mode: 0o600 });
  return made;
}

/** The backup taken before the switch from `version` to `current`, if that is the one kept. */
export function backupFor(versionsDir: string, version: string, current: string): StateBackup | null {
  try {
    const m = JSON.parse(readFileSync(join(versionsDir, FOLDER, MANIFEST), "utf8")) as StateBackup;
    // A manifest of an agent before 2026-11-27 listed names under `state/` only: it would leave a
    // migrated agent database behind, which the older version refuses. Not used.
    const complete = Array.isArray(m.databases) && m.databases.every((d) => typeof d?.path === "string");
    return complete && m.from === version && m.to === current ? m : null;
  } catch {
    return null;
  }
}

/**
 * Puts the backup back; the gateway must be down (the caller checks nothing holds the state).
 * Every copy is staged first beside its file (`<file>.clawops-restore`, same folder, so each put
 * is one rename); a copy that fails removes what was staged and changes nothing. Then what is
 * there now is renamed aside (`<file>.clawops-newer`, with its WAL), the config and each database
 * the backup holds, and also each database the newer version made since (the backup does not
 * hold it: it did not exist, and may carry the newer schema), and the staged copies renamed in.
 * A rename that fails undoes the others. `undo` moves the newer state back, should the older
 * version not start even so: the newer version then resumes on its own state, nothing lost.
 */
export async function restoreState(
  ctx: ProbeContext,
  versionsDir: string,
  b: StateBackup,
): Promise<{ undo: () => void; aside: string[] }> {
  const sqlite = await import("node:sqlite");
  const src = join(versionsDir, FOLDER);
  const puts: [string, string][] = [];
  if (b.config) puts.push([join(src, "openclaw.json"), ctx.configPath]);
  for (const d of b.databases) puts.push([join(src, d.copy), d.path]);
  const staged: string[] = [];
  try {
    for (const [from, to] of puts) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, `${to}${STAGED_SUFFIX}`);
      staged.push(`${to}${STAGED_SUFFIX}`);
    }
  } catch (err) {
    for (const s of staged) rmSync(s, { force: true });
    throw err;
  }
  const kept = new Set(b.databases.map((d) => d.path));
  const made = openclawDatabases(ctx.stateDir, sqlite).filter((p) => !kept.has(p));
  const moved: [string, string][] = [];
  const placed: string[] = [];
  const undo = () => {
    for (const p of placed.splice(0)) for (const side of ["", ...SIDECARS]) rmSync(`${p}${side}`, { force: true });
    for (const [from, to] of moved.splice(0).reverse()) renameSync(to, from);
  };
  try {
    for (const file of [...puts.map(([, to]) => to), ...made]) {
      const sides = file === ctx.configPath ? [""] : ["", ...SIDECARS];
      for (const side of sides) {
        const at = `${file}${side}`;
        if (!existsSync(at)) continue;
        rmSync(`${at}${NEWER_SUFFIX}`, { force: true });
        renameSync(at, `${at}${NEWER_SUFFIX}`);
        moved.push([at, `${at}${NEWER_SUFFIX}`]);
      }
    }
    for (const [, to] of puts) {
      renameSync(`${to}${STAGED_SUFFIX}`, to);
      placed.push(to);
    }
  } catch (err) {
    for (const s of staged) rmSync(s, { force: true });
    undo();
    throw err;
  }
  return { undo, aside: moved.map(([, to]) => to) };
}

/**
 * OpenClaw's databases in a state dir, as absolute real paths: each `*.sqlite` under `state/`,
 * each agent database `state/openclaw.sqlite` registers, each `*.sqlite` under `agents/<id>/agent/`.
 */
export function openclawDatabases(stateDir: string, sqlite: Sqlite): string[] {
  const found = new Set<string>();
  const add = (p: string) => {
    try {
      found.add(realpathSync(p));
    } catch {
      // Registered but gone: nothing to keep.
    }
  };
  for (const f of sqliteFiles(join(stateDir, "state"))) add(f);
  for (const rel of registeredAgentDatabases(join(stateDir, "state", "openclaw.sqlite"), sqlite))
    add(isAbsolute(rel) ? rel : join(stateDir, rel));
  for (const agent of entries(join(stateDir, "agents")).filter((e) => e.isDirectory()))
    for (const f of entries(join(stateDir, "agents", agent.name, "agent")))
      if (f.isFile() && f.name.endsWith(".sqlite")) add(join(stateDir, "agents", agent.name, "agent", f.name));
  return [...found].sort();
}

function registeredAgentDatabases(shared: string, sqlite: Sqlite): string[] {
  if (!existsSync(shared)) return [];
  let db: InstanceType<Sqlite["DatabaseSync"]>;
  try {
    db = new sqlite.DatabaseSync(shared, { readOnly: true });
  } catch {
    // Unreadable: the agents' default folders are still walked.
    return [];
  }
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agent_databases'").get();
    if (!table) return [];
    return (db.prepare("SELECT path FROM agent_databases").all() as { path?: unknown }[])
      .map((r) => r.path)
      .filter((p): p is string => typeof p === "string" && p.length > 0);
  } catch {
    return [];
  } finally {
    db.close();
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function sqliteFiles(dir: string): string[] {
  return entries(dir).flatMap((e) =>
    e.isDirectory()
      ? sqliteFiles(join(dir, e.name))
      : e.isFile() && e.name.endsWith(".sqlite")
        ? [join(dir, e.name)]
        : [],
  );
}
