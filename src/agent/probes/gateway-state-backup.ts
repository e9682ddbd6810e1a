import {
  copyFileSync,
  type Dirent,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import type { ProbeContext } from "./context.ts";

/**
 * The gateway's state as it was before a switch, so a rollback can bring it back. OpenClaw
 * 2026.9.6 moves its state database to schema 18 when it starts, and 2026.9.5 then refuses to
 * start ("database schema(s) are newer than this build … restore your pre-upgrade backup"): a
 * switch back after the target ran needs the state from before it. Kept: `openclaw.json` and every
 * SQLite database under `<state dir>/state/`, each copied with SQLite's online backup (consistent
 * while the gateway writes), in `<versions dir>/.state-before-switch/` with a manifest; one backup,
 * replaced by the next switch.
 */
const FOLDER = ".state-before-switch";
const MANIFEST = "manifest.json";

export interface StateBackup {
  /** The version that ran when it was taken, and the one the switch moved to. */
  from: string;
  to: string;
  takenAt: number;
  config: boolean;
  /** Databases, relative to `<state dir>/state`. */
  databases: string[];
}

export async function backupState(
  ctx: ProbeContext,
  versionsDir: string,
  from: string,
  to: string,
): Promise<StateBackup> {
  // Loaded here only: an agent that never switches never opens SQLite.
  const { DatabaseSync, backup } = await import("node:sqlite");
  const dest = join(versionsDir, FOLDER);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(dest, "state"), { recursive: true, mode: 0o700 });
  const config = existsSync(ctx.configPath);
  if (config) copyFileSync(ctx.configPath, join(dest, "openclaw.json"));
  const root = join(ctx.stateDir, "state");
  const databases = sqliteFiles(root).map((f) => relative(root, f));
  for (const rel of databases) {
    const db = new DatabaseSync(join(root, rel), { readOnly: true });
    try {
      mkdirSync(dirname(join(dest, "state", rel)), { recursive: true });
      await backup(db, join(dest, "state", rel));
    } finally {
      db.close();
    }
  }
  const made: StateBackup = { from, to, takenAt: Date.now(), config, databases };
  writeFileSync(join(dest, MANIFEST), `${JSON.stringify(made)}\n`, { mode: 0o600 });
  return made;
}

/** The backup taken before the switch from `version` to `current`, if that is the one kept. */
export function backupFor(versionsDir: string, version: string, current: string): StateBackup | null {
  try {
    const m = JSON.parse(readFileSync(join(versionsDir, FOLDER, MANIFEST), "utf8")) as StateBackup;
    return m.from === version && m.to === current ? m : null;
  } catch {
    return null;
  }
}

/**
 * Puts the backup back (the gateway must be down): the config, and each database without its
 * WAL. What was there is moved aside first, and `undo` moves it back, should the older version
 * not start even so: then the newer version resumes on its own state, nothing lost.
 */
export function restoreState(ctx: ProbeContext, versionsDir: string, b: StateBackup): { undo: () => void } {
  const src = join(versionsDir, FOLDER);
  const aside = join(versionsDir, `${FOLDER}.newer`);
  rmSync(aside, { recursive: true, force: true });
  mkdirSync(join(aside, "state"), { recursive: true, mode: 0o700 });
  const moved: [string, string][] = [];
  const move = (from: string, to: string) => {
    if (!existsSync(from)) return;
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    moved.push([from, to]);
  };
  if (b.config) {
    move(ctx.configPath, join(aside, "openclaw.json"));
    copyFileSync(join(src, "openclaw.json"), ctx.configPath);
  }
  const root = join(ctx.stateDir, "state");
  for (const rel of b.databases) {
    const target = join(root, rel);
    for (const side of ["", "-wal", "-shm"]) move(`${target}${side}`, join(aside, "state", `${rel}${side}`));
    copyFileSync(join(src, "state", rel), target);
  }
  return {
    undo: () => {
      for (const rel of b.databases)
        for (const side of ["", "-wal", "-shm"]) rmSync(join(root, `${rel}${side}`), { force: true });
      if (b.config) rmSync(ctx.configPath, { force: true });
      for (const [from, to] of moved.reverse()) renameSync(to, from);
    },
  };
}

function sqliteFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory()
      ? sqliteFiles(join(dir, e.name))
      : e.isFile() && e.name.endsWith(".sqlite")
        ? [join(dir, e.name)]
        : [],
  );
}
