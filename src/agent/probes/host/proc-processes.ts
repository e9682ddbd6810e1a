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
  /**
   * `stat`'s start time (field 22, clock ticks after boot), when the scan read `stat`: with the
   * pid it names one process, as pids are reused. The watch's carried readings (readings-carry.ts)
   * check it, with comm, to know a process is still the one they read.
   */
  startTime?: string;
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
 * Every process, read PROCESS_READERS at a time: the watch runs this every interval, and reading
 * every process at once held a file handle and a 4 KB buffer per file of each (some 6 MB on a
 * host with 500 processes, the watch's peak) and queued them all on libuv's four threads anyway.
 *
 * Each process is read from its `stat` (comm, state, parent, start time; read at once: the
 * kernel writes it without waiting on the process, see `readStatNow`) and its `cmdline` (read on
 * libuv's threads: that read can wait on the process's memory map); a kernel thread has no
 * command line, so none is read. The processes `wanted` accepts (the gateways) come back whole:
 * their command line and their uid (`status`). The others come back with pid, parent, comm and
 * state only: their command line was read only to decide.
 *
 * A scan remembers the processes it ruled out, and reads the command line of one again only when
 * its comm or start time changed (a new process in a reused pid, an exec, a new title: Node's
 * `process.title` sets comm too, through prctl) or RECHECK_MS after it last did (a title written
 * to argv alone): a round trip to libuv's threads per process, every probe, saved (3.8 → 3.3 ms of
 * CPU a scan of 69 processes: docs/benchmarks.md "The watch's CPU per probe"). A process without a
 * readable `stat` (gone, or a procfs without it) is read as `readProcess` reads it.
 */
export class ProcessScan {
  /** pid → what its `stat` said (start time and comm) when its command line last ruled it out, and when. */
  private ruledOut = new Map<number, { key: string; at: number }>();
  private readonly procRoot: string;
  private readonly wanted: (p: ProcProcess) => boolean;
  private readonly now: () => number;

  constructor(procRoot: string, wanted: (p: ProcProcess) => boolean, now: () => number = Date.now) {
    this.procRoot = procRoot;
    this.wanted = wanted;
    this.now = now;
  }

  async list(): Promise<ProcProcess[]> {
    const pids = await listPids(this.procRoot);
    const all: (ProcProcess | undefined)[] = new Array(pids.length);
    const ruledOut = new Map<number, { key: string; at: number }>();
    let next = 0;
    const reader = async () => {
      for (let i = next++; i < pids.length; i = next++) {
        all[i] = await this.scanProcess(pids[i] as number, ruledOut);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROCESS_READERS, pids.length) }, reader));
    // Only the pids of this scan are kept: the memory is one small entry per running process.
    this.ruledOut = ruledOut;
    return all.filter((p): p is ProcProcess => p !== undefined);
  }

  private async scanProcess(
    pid: number,
    ruledOut: Map<number, { key: string; at: number }>,
  ): Promise<ProcProcess | undefined> {
    const dir = join(this.procRoot, String(pid));
    const stat = parseStat(readStatNow(join(dir, "stat")));
    if (!stat) {
      const p = await readProcess(this.procRoot, pid);
      return p && (this.wanted(p) ? p : withoutCommandLine(p));
    }
    const p: ProcProcess = {
      pid,
      ppid: stat.ppid,
      comm: stat.comm,
      cmdline: undefined,
      argv: [],
      uid: undefined,
      state: stat.state,
      startTime: stat.startTime,
    };
    const key = processKey(stat);
    const known = this.ruledOut.get(pid);
    const now = this.now();
    if (!this.wanted(p) && known?.key === key && now - known.at < RECHECK_MS) {
      ruledOut.set(pid, known);
      return p;
    }
    const argv = stat.kernelThread ? [] : splitCmdline(await readText(join(dir, "cmdline")));
    const read = { ...p, argv, cmdline: argv.length > 0 ? argv.join(" ") : undefined };
    if (!this.wanted(read)) {
      ruledOut.set(pid, { key, at: now });
      return p;
    }
    read.uid = statusNumber(await readText(join(dir, "status")), "Uid");
    return read;
  }
}

/** What says a pid is still the process read before: its start time and comm, from `stat` (`parseStat`). */
export function processKey(stat: { startTime: string; comm: string | undefined }): string {
  return `${stat.startTime} ${stat.comm}`;
}

/** How long a process ruled out by its command line stays ruled out while its comm and start time stay the same. */
export const RECHECK_MS = 5 * 60_000;

function withoutCommandLine(p: ProcProcess): ProcProcess {
  return { ...p, cmdline: undefined, argv: [], uid: undefined };
}

/**
 * `/proc/<pid>/stat`, read at once (not on libuv's threads): the kernel writes it from the
 * task's own fields without taking the process's memory-map lock, which `cmdline` and `environ`
 * wait on (a process stuck in a page fault can hold it for as long as it is stuck).
 */
export function readStatNow(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The kernel's PF_KTHREAD in `stat`'s flags (field 9): a kernel thread, which has no command line. */
const PF_KTHREAD = 0x00200000;

/** `pid (comm) S ppid pgrp session tty tpgid flags … starttime …`; comm may hold spaces and parentheses. */
export function parseStat(
  text: string | undefined,
): { comm: string; state: string; ppid: number; kernelThread: boolean; startTime: string } | undefined {
  if (!text) return undefined;
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const state = fields[0];
  const ppid = Number(fields[1]);
  const flags = Number(fields[6]);
  // Field 22, in clock ticks after boot: with the pid, it names one process (pids are reused).
  const startTime = fields[19] ?? "";
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(flags)) return undefined;
  // comm as the `comm` file gives it (trimmed, as readProcess reads that file).
  return {
    comm: text.slice(open + 1, close).trim(),
    state,
    ppid,
    kernelThread: (flags & PF_KTHREAD) !== 0,
    startTime,
  };
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

/** Reads a process's descriptor links: `openFiles`, or a job's memo of it (JobReadings). */
export type OpenFilesOf = (pid: number) => Promise<string[]>;

/**
 * What a process holds open: the targets of its /proc/<pid>/fd links ([] when unreadable). Read
 * at once, not on libuv's threads: the kernel answers a descriptor link from the process's file
 * table without waiting on the process, and a gateway holds a hundred descriptors or more, one
 * round trip each, two or three times a quick probe.
 */
export async function openFiles(procRoot: string, pid: number): Promise<string[]> {
  return (await openFileEntries(procRoot, pid)).map((e) => e.link);
}

/** A descriptor of a process and what its /proc/<pid>/fd link names (`""` when unreadable). */
export type OpenFileEntry = { fd: string; link: string };

/** `openFiles` with each link's descriptor number, read the same way. */
export async function openFileEntries(procRoot: string, pid: number): Promise<OpenFileEntry[]> {
  const fdDir = join(procRoot, String(pid), "fd");
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return [];
  }
  return fds.map((fd) => ({ fd, link: readLinkNow(join(fdDir, fd)) ?? "" }));
}

/** A link's target read at once (a descriptor link: see `openFiles`), `undefined` when unreadable. */
export function readLinkNow(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The socket inodes among a process's descriptor links (`socket:[12345]`, from `openFiles`). */
export function socketInodesOf(links: readonly string[]): number[] {
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
 * A small file as text (procfs, sysfs, /etc/passwd), `undefined` when unreadable: 4 KB reads into
 * a kept buffer, where `fs.readFile` adds an fstat and a 64 KB buffer for a file that reports size
 * 0. `comm`, `cmdline`, `status` and `stat` of a process (under /proc/) are opened
 * and closed at once: opening them waits on nothing. Their reads go to libuv's threads, since
 * reading `cmdline` or `status` can wait on the process's memory map. Every other file
 * (`environ`, whose open waits for an exec under way in that process; /etc/passwd) is opened there too.
 */
export async function readText(path: string): Promise<string | undefined> {
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
