import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { type FileHandle, open, readAt, readdir } from "../../fs-async.ts";

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
  const argv = splitCmdline(cmdlineRaw);
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
 *
 * Each process is read from its `stat` (comm, state, parent; read at once: the kernel writes it
 * without waiting on the process, see `readStatNow`) and its `cmdline` (read on libuv's threads:
 * that read can wait on the process's memory map); a kernel thread has no command line, so none
 * is read. `status` (the uid) is read only for the processes `withUid` asks for (the gateways):
 * the scan made 9 round trips to libuv's threads per process (open, read and close of `comm`,
 * `cmdline` and `status`), which cost the watch more CPU than anything else in its quick probe
 * (docs/benchmarks.md "The watch's CPU per probe"); now one (the read of `cmdline`). A process without a
 * readable `stat` (gone, or a procfs without it) is read as `readProcess` reads it.
 */
export async function listProcesses(
  procRoot: string,
  opts: { withUid?: (p: ProcProcess) => boolean } = {},
): Promise<ProcProcess[]> {
  const pids = await listPids(procRoot);
  const all: (ProcProcess | undefined)[] = new Array(pids.length);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < pids.length; i = next++) {
      const pid = pids[i] as number;
      all[i] = await scanProcess(procRoot, pid, opts.withUid);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROCESS_READERS, pids.length) }, reader));
  return all.filter((p): p is ProcProcess => p !== undefined);
}

async function scanProcess(
  procRoot: string,
  pid: number,
  withUid: ((p: ProcProcess) => boolean) | undefined,
): Promise<ProcProcess | undefined> {
  const dir = join(procRoot, String(pid));
  const stat = parseStat(readStatNow(join(dir, "stat")));
  if (!stat) return readProcess(procRoot, pid);
  const argv = stat.kernelThread ? [] : splitCmdline(await readText(join(dir, "cmdline")));
  const p: ProcProcess = {
    pid,
    ppid: stat.ppid,
    comm: stat.comm,
    cmdline: argv.length > 0 ? argv.join(" ") : undefined,
    argv,
    uid: undefined,
    state: stat.state,
  };
  if (withUid?.(p)) p.uid = statusNumber(await readText(join(dir, "status")), "Uid");
  return p;
}

/**
 * `/proc/<pid>/stat`, read at once (not on libuv's threads): the kernel writes it from the
 * task's own fields without taking the process's memory-map lock, which `cmdline` and `environ`
 * wait on (a process stuck in a page fault can hold it for as long as it is stuck).
 */
function readStatNow(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The kernel's PF_KTHREAD in `stat`'s flags (field 9): a kernel thread, which has no command line. */
const PF_KTHREAD = 0x00200000;

/** `pid (comm) S ppid pgrp session tty tpgid flags …`; comm may hold spaces and parentheses. */
export function parseStat(
  text: string | undefined,
): { comm: string; state: string; ppid: number; kernelThread: boolean } | undefined {
  if (!text) return undefined;
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const state = fields[0];
  const ppid = Number(fields[1]);
  const flags = Number(fields[6]);
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(flags)) return undefined;
  // comm as the `comm` file gives it (trimmed, as readProcess reads that file).
  return { comm: text.slice(open + 1, close).trim(), state, ppid, kernelThread: (flags & PF_KTHREAD) !== 0 };
}

function splitCmdline(raw: string | undefined): string[] {
  return (raw ?? "").split("\0").filter((a) => a !== "");
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

/**
 * What a process holds open: the targets of its /proc/<pid>/fd links ([] when unreadable). Read
 * at once, not on libuv's threads: the kernel answers a descriptor link from the process's file
 * table without waiting on the process, and a gateway holds a hundred descriptors or more, one
 * round trip each, two or three times a quick probe.
 */
export async function openFiles(procRoot: string, pid: number): Promise<string[]> {
  const fdDir = join(procRoot, String(pid), "fd");
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return [];
  }
  return fds.map((fd) => {
    try {
      return readlinkSync(join(fdDir, fd));
    } catch {
      return "";
    }
  });
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

/**
 * 4 KB buffers to read into, kept between reads (each read's text is copied out of it): a scan
 * reads a few hundred files, each into a fresh buffer before. At most one per reader is in use.
 */
const spareBuffers: Buffer[] = [];
/** The procfs files whose open waits on nothing in the process (not `environ`: see readText). */
const OPEN_AT_ONCE = /\/(comm|cmdline|status|stat)$/;
const MAX_SPARE_BUFFERS = 16;

/**
 * A file as text. `comm`, `cmdline`, `status` and `stat` of a process (under /proc/) are opened
 * and closed at once: opening them waits on nothing. Their reads go to libuv's threads, since
 * reading `cmdline` or `status` can wait on the process's memory map. Every other file
 * (`environ`, whose open waits for an exec under way in that process; /etc/passwd) is opened there too.
 */
async function readText(path: string): Promise<string | undefined> {
  const procfs = path.startsWith("/proc/") && OPEN_AT_ONCE.test(path);
  let fd: number | undefined;
  let file: FileHandle | undefined;
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK_BYTES);
  try {
    if (procfs) fd = openSync(path, "r");
    else file = await open(path, "r");
    const read = (): Promise<number> =>
      fd !== undefined
        ? readAt(fd, buffer, 0, READ_CHUNK_BYTES, null)
        : (file as FileHandle).read(buffer, 0, READ_CHUNK_BYTES, null).then((r) => r.bytesRead);
    const chunks: Buffer[] = [];
    for (;;) {
      const bytesRead = await read();
      // procfs answers a process file whole when the buffer holds it (and a regular file reads to
      // its end): a short read is the end, without one more read to be told so.
      if (bytesRead < READ_CHUNK_BYTES) {
        if (chunks.length === 0) return buffer.toString("utf8", 0, bytesRead);
        if (bytesRead > 0) chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
        break;
      }
      chunks.push(Buffer.from(buffer));
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeQuietly(fd);
    await file?.close().catch(() => undefined);
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing a procfs descriptor fails only if it was not open.
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
