import { join } from "node:path";
import { type FileHandle, open, readdir, readlink } from "../../fs-async.ts";

/**
 * Process facts read straight from procfs (Linux). Each read may fail (the process exited, or
 * belongs to another user); a failed read is `undefined`, never an exception.
 */
export type ProcProcess = {
  pid: number;
  ppid: number | undefined;
  /** Kernel `comm`, cut to 15 chars: the gateway shows as `openclaw-gatewa`. */
  comm: string | undefined;
  /** argv joined by spaces. The gateway rewrites its own to `openclaw-gateway` (process title). */
  cmdline: string | undefined;
  argv: string[];
  uid: number | undefined;
  /**
   * One-letter kernel state from /proc/<pid>/status (`S` sleeping, `R` running, `T` stopped by
   * SIGSTOP, `t` traced, `Z` zombie: exited and not reaped, `X` dead). A `T` or `Z` gateway holds
   * its pid but serves nobody.
   */
  state: string | undefined;
};

/** The gateway sets its process title to this (GATEWAY-FACTS §2). */
export const GATEWAY_PROCESS_TITLE = "openclaw-gateway";

export async function listPids(procRoot: string): Promise<number[]> {
  const entries = await readdir(procRoot);
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

export async function readProcess(procRoot: string, pid: number): Promise<ProcProcess | undefined> {
  const dir = join(procRoot, String(pid));
  const [comm, cmdlineRaw, status] = await Promise.all([
    readText(join(dir, "comm")),
    readText(join(dir, "cmdline")),
    readText(join(dir, "status")),
  ]);
  if (comm === undefined && status === undefined) return undefined;
  const argv = (cmdlineRaw ?? "").split("\0").filter((a) => a !== "");
  return {
    pid,
    ppid: statusNumber(status, "PPid"),
    comm: comm?.trim(),
    cmdline: argv.length > 0 ? argv.join(" ") : undefined,
    argv,
    uid: statusNumber(status, "Uid"),
    state: /^State:\s+(\S)/m.exec(status ?? "")?.[1],
  };
}

/**
 * Every process, read PROCESS_READERS at a time: the watch runs this every 30 s, and reading
 * every process at once held a file handle and a 4 KB buffer per file of each (some 6 MB on a
 * host with 500 processes, the watch's peak) and queued them all on libuv's four threads anyway.
 */
export async function listProcesses(procRoot: string): Promise<ProcProcess[]> {
  const pids = await listPids(procRoot);
  const all: (ProcProcess | undefined)[] = new Array(pids.length);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < pids.length; i = next++) all[i] = await readProcess(procRoot, pids[i] as number);
  };
  await Promise.all(Array.from({ length: Math.min(PROCESS_READERS, pids.length) }, reader));
  return all.filter((p): p is ProcProcess => p !== undefined);
}

const PROCESS_READERS = 8;

export function isGatewayProcess(p: Pick<ProcProcess, "comm" | "argv">): boolean {
  // comm is cut to 15 chars (TASK_COMM_LEN); the CLI itself shows as `openclaw`, so no prefix match.
  return p.argv[0] === GATEWAY_PROCESS_TITLE || p.comm === GATEWAY_PROCESS_TITLE.slice(0, 15);
}

/** NUL-separated `KEY=value` pairs; undefined when unreadable (another user's process). */
export async function readEnviron(procRoot: string, pid: number): Promise<Record<string, string> | undefined> {
  const raw = await readText(join(procRoot, String(pid), "environ"));
  if (raw === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const pair of raw.split("\0")) {
    const eq = pair.indexOf("=");
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** What a process holds open: the targets of its /proc/<pid>/fd links ([] when unreadable). */
export async function openFiles(procRoot: string, pid: number): Promise<string[]> {
  const fdDir = join(procRoot, String(pid), "fd");
  let fds: string[];
  try {
    fds = await readdir(fdDir);
  } catch {
    return [];
  }
  return Promise.all(fds.map((fd) => readlink(join(fdDir, fd)).catch(() => "")));
}

/** Socket inodes a process holds open (`socket:[12345]` links under /proc/<pid>/fd). */
export async function socketInodes(procRoot: string, pid: number): Promise<number[]> {
  const links = await openFiles(procRoot, pid);
  const inodes: number[] = [];
  for (const link of links) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1]) inodes.push(Number(m[1]));
  }
  return inodes;
}

/** uid → user name from /etc/passwd; the uid as a string when unknown. */
export async function userNames(passwdPath = "/etc/passwd"): Promise<(uid: number | undefined) => string | undefined> {
  const names = new Map<number, string>();
  const text = await readText(passwdPath);
  for (const line of (text ?? "").split("\n")) {
    const [name, , uid] = line.split(":");
    if (name && uid && /^\d+$/.test(uid)) names.set(Number(uid), name);
  }
  return (uid) => (uid === undefined ? undefined : (names.get(uid) ?? String(uid)));
}

/**
 * procfs files report size 0, so `fs.readFile` reads each into a fresh 64 KB buffer: a scan of
 * every process (3 files each, all at once) held about 15 MB of them on a quiet host, and the
 * allocator kept part of it after they were freed. These files are small: read them 4 KB at a time.
 */
const READ_CHUNK_BYTES = 4096;

async function readText(path: string): Promise<string | undefined> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, "r");
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const { bytesRead } = await file.read(chunk, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === READ_CHUNK_BYTES ? chunk : chunk.subarray(0, bytesRead));
      // procfs answers a process file whole when the buffer holds it (and a regular file reads to
      // its end): a short read is the end, without one more read to be told so.
      if (bytesRead < READ_CHUNK_BYTES) break;
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch {
    return undefined;
  } finally {
    await file?.close().catch(() => undefined);
  }
}

/** Exited (zombie, dead): such a process serves nothing and proves nothing about its config. */
export function hasExited(state: string | undefined): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/** Stopped (SIGSTOP, job control) or held by a tracer: alive, but answers nothing. */
export function isStopped(state: string | undefined): boolean {
  return state === "T" || state === "t";
}

function statusNumber(status: string | undefined, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status ?? "");
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
