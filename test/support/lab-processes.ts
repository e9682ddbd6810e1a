import { readdirSync, readFileSync } from "node:fs";
import { hasExited, parseStat, readStatNow } from "../../src/agent/probes/host/proc-processes.ts";

/** The variables that say where a process's OpenClaw lives. */
const LAB_VARIABLES = ["OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "HOME"];

/**
 * The processes still running inside a lab folder: those whose OpenClaw state folder, config or
 * HOME (read from /proc/<pid>/environ) is `dir` or under it. A gateway's process group is killed
 * when it stops, but a process outside that group can outlive it by a moment and write into the
 * lab while it is removed (seen: an OpenClaw SQLite read-only snapshot's cleanup warning, with its
 * snapshot folder, written into a lab after its removal). A lab folder is made for one test run,
 * so nothing else on the machine (another profile's gateway) matches. Linux only, where the labs
 * run; elsewhere none are found.
 */
export function labProcesses(dir: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const inside = (value: string) => value === dir || value.startsWith(`${dir}/`);
  const found: number[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch {
      continue; // gone, or not ours to read
    }
    const matches = environ.split("\0").some((entry) => {
      const eq = entry.indexOf("=");
      return eq > 0 && LAB_VARIABLES.includes(entry.slice(0, eq)) && inside(entry.slice(eq + 1));
    });
    if (matches) found.push(Number(pid));
  }
  return found;
}

/** SIGKILLs every process still running inside `dir` and waits (up to `waitMs`) until they are gone; how many there were. */
export async function endLabProcesses(dir: string, waitMs = 5_000): Promise<number> {
  const pids = labProcesses(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const until = Date.now() + waitMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return pids.length;
}

/** Still running: a killed child of ours stays a zombie until reaped, and its state says so. */
function alive(pid: number): boolean {
  const stat = parseStat(readStatNow(`/proc/${pid}/stat`));
  return stat !== undefined && !hasExited(stat.state);
}
