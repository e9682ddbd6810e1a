import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ensurePrivateDir } from "./private-files.ts";

/**
 * One control plane per data folder (issue 32, item 7: a second `npm start` on the same folder
 * ran beside the first on one SQLite file and one console secret, its local agent refused and
 * restarted forever). `clawops.lock` in the data folder holds the running control plane's pid,
 * its process start time and, once it listens, its URL; it is created exclusively. A second
 * start meets it and stops with a message naming that pid and URL. A lock whose process is gone
 * (or whose pid now belongs to another process: a container restarted, a pid reused) is stale
 * and taken over.
 */
export const INSTANCE_LOCK_FILE = "clawops.lock";

const LockFile = z.object({
  pid: z.number().int().positive(),
  startTicks: z.string().nullable().optional(),
  startedAt: z.string(),
  url: z.string().nullable().optional(),
});
type LockFile = z.infer<typeof LockFile>;

export class InstanceLockedError extends Error {
  readonly code = "data_dir_in_use";
  readonly holder: LockFile;
  constructor(dataDir: string, holder: LockFile) {
    const where = holder.url ? `listening on ${holder.url}` : "still starting";
    super(
      `Another clawops control plane (pid ${holder.pid}, ${where}) already uses the data folder ${dataDir}. ` +
        "Stop it first, or give this one its own folder (CLAWOPS_DATA_DIR): two on one folder would share one database and one console secret.",
    );
    this.holder = holder;
  }
}

/** The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid apart. */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22, counted after the command name's closing parenthesis (the name may hold spaces).
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, still a live holder.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read(path: string): LockFile | null {
  try {
    const parsed = LockFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The holder is this very lock's process, still running (not a reused pid, not ourselves after a restart). */
function holds(lock: LockFile): boolean {
  if (lock.pid === process.pid || !isAlive(lock.pid)) return false;
  const ticks = startTicks(lock.pid);
  return !lock.startTicks || !ticks || ticks === lock.startTicks;
}

export interface InstanceLock {
  path: string;
  /** Records where this control plane listens, for the message a second start shows. */
  setUrl(url: string): void;
  release(): void;
}

/** Takes the data folder's lock or throws InstanceLockedError; released at process exit too. */
export function acquireInstanceLock(dataDir: string): InstanceLock {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, INSTANCE_LOCK_FILE);
  const mine: LockFile = { pid: process.pid, startTicks: startTicks(process.pid), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: "wx", mode: 0o600 });
      const ours = () => read(path)?.pid === process.pid;
      const release = () => {
        if (ours()) rmSync(path, { force: true });
        process.removeListener("exit", release);
      };
      process.once("exit", release);
      return {
        path,
        setUrl(url) {
          if (!ours()) return;
          const tmp = `${path}.${process.pid}.tmp`;
          writeFileSync(tmp, `${JSON.stringify({ ...mine, url })}\n`, { mode: 0o600 });
          renameSync(tmp, path);
        },
        release,
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = read(path);
    if (holder && holds(holder)) throw new InstanceLockedError(dataDir, holder);
    // Stale (holder gone, pid reused, a half-written file): remove it if it is still the one read.
    if (JSON.stringify(read(path)) === JSON.stringify(holder)) rmSync(path, { force: true });
  }
  const holder = read(path);
  throw new InstanceLockedError(dataDir, holder ?? { pid: 0, startedAt: "unknown" });
}
