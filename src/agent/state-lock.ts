import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isoTime } from "./icu-free.ts";

/**
 * One agent per state folder (issue 15, item 6: after a control-plane SIGKILL an orphaned
 * local agent and its replacement took turns replacing each other on the hub). `agent.lock`
 * holds the running agent's pid, created exclusively; a lock whose pid is gone is stale and
 * taken over; a live holder makes the second agent refuse to start.
 */
export const STATE_LOCK_FILE = "agent.lock";

export class AgentLockedError extends Error {
  readonly code = "agent_already_running";
  readonly holderPid: number;
  constructor(dir: string, holderPid: number) {
    super(
      `another clawops agent (pid ${holderPid}) is already running on the state folder ${dir}; stop it first (two agents on one host replace each other on the hub)`,
    );
    this.holderPid = holderPid;
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

function holder(path: string): number | null {
  try {
    const pid = Number(JSON.parse(readFileSync(path, "utf8")).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the folder's lock or throws `AgentLockedError`; `release` is also run at process exit. */
export function acquireStateLock(dir: string): { path: string; release(): void } {
  const path = join(dir, STATE_LOCK_FILE);
  const body = `${JSON.stringify({ pid: process.pid, startedAt: isoTime() })}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, body, { flag: "wx", mode: 0o600 });
      const release = () => {
        if (holder(path) === process.pid) rmSync(path, { force: true });
      };
      process.once("exit", release);
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = holder(path);
    if (pid !== null && pid !== process.pid && isAlive(pid)) throw new AgentLockedError(dir, pid);
    // Stale (holder gone, or a half-written file): remove it, if it is still the one we read.
    if (holder(path) === pid) rmSync(path, { force: true });
  }
  const pid = holder(path);
  throw new AgentLockedError(dir, pid ?? -1);
}
