import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { execCommand } from "../exec.ts";
import { formatHostPort, parseProcNetTcp, TCP_LISTEN, type TcpSocket } from "./proc-net-tcp.ts";
import { listPids, type OpenFilesOf, openFiles, readProcess, socketInodesOf } from "./proc-processes.ts";

/**
 * Who listens on a TCP port. Linux: /proc/net/tcp{,6} gives the LISTEN sockets' inodes, and
 * /proc/<pid>/fd links (`socket:[inode]`) name the owning process — no external tool. Where
 * procfs is missing (macOS), `ss` or `lsof` via execFile.
 */
export type PortOwner = {
  address: string;
  pid: number | null;
  command: string | null;
  commandLine?: string;
  uid?: number;
  user?: string;
};

export type PortOwners = { method: "procfs" | "ss" | "lsof"; owners: PortOwner[] };

const TOOL_TIMEOUT_MS = 2_000;

/**
 * The LISTEN sockets of /proc/net/tcp and tcp6, or undefined when neither can be read (no procfs).
 * Read at once rather than on libuv's threads: the kernel writes these files from its socket
 * tables without waiting on any process. What costs is the kernel's walk of its connection table,
 * sized by the host's memory (3–5 ms of kernel time per file on a 24 GiB host, however few
 * sockets it holds): the quick probe read both files twice, about 15 ms of its CPU. Now a job
 * reads them once (JobReadings hands them to `findPortOwners` and `gatewayIdentity`), and only as
 * far as the listeners go: the kernel writes the listening sockets first (its listening hash,
 * then the connection table), so the first record in another state ends them, and so does the
 * last socket /proc/net/sockstat{,6} counts when all it counts are listeners (a table that holds
 * only its listeners, as tcp6 often does, was walked whole for them). tcp6 is not read when
 * sockstat6 counts no IPv6 TCP socket at all.
 */
export function readTcpListeners(procRoot: string): TcpSocket[] | undefined {
  const v6 = tcpSocketsInUse(procRoot, "sockstat6", "TCP6");
  const tables = [
    readListenRecords(join(procRoot, "net", "tcp"), tcpSocketsInUse(procRoot, "sockstat", "TCP")),
    v6 === 0 ? "" : readListenRecords(join(procRoot, "net", "tcp6"), v6),
  ];
  if (tables.every((t) => t === undefined)) return undefined;
  return tables.flatMap((t) => (t === undefined ? [] : parseProcNetTcp(t, TCP_LISTEN)));
}

/** Small reads: the kernel writes a record file only as far as each read asks. */
const TCP_READ_BYTES = 1024;
/** Kernels before 4.4 listed a listener's pending connections (SYN_RECV) right after it. */
const TCP_SYN_RECV = 0x03;

/**
 * A /proc/net/tcp{,6} file up to and with its first record that is neither LISTEN nor SYN_RECV,
 * or its `inUse`-th LISTEN record: /proc/net/sockstat's `inuse` counts every socket of the table
 * but TIME_WAIT and pending ones, listeners included, so no listener can follow that one.
 */
function readListenRecords(path: string, inUse: number | undefined): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.allocUnsafe(TCP_READ_BYTES);
    let text = "";
    let checked = 0;
    let listeners = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, TCP_READ_BYTES, null);
      if (bytesRead === 0) return text;
      text += buffer.toString("latin1", 0, bytesRead);
      for (let nl = text.indexOf("\n", checked); nl >= 0; nl = text.indexOf("\n", checked)) {
        // The header's `st` is not a number; a record's state is its fourth column, in hex.
        const state = Number.parseInt(text.slice(checked, nl).trim().split(/\s+/)[3] ?? "", 16);
        checked = nl + 1;
        if (state === TCP_LISTEN && ++listeners === inUse) return text.slice(0, checked);
        if (!Number.isNaN(state) && state !== TCP_LISTEN && state !== TCP_SYN_RECV) return text.slice(0, checked);
      }
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** `TCP: inuse <n>` (sockstat) or `TCP6: inuse <n>` (sockstat6); undefined when unreadable. */
function tcpSocketsInUse(procRoot: string, file: "sockstat" | "sockstat6", label: "TCP" | "TCP6"): number | undefined {
  try {
    const m = new RegExp(`^${label}: inuse (\\d+)`, "m").exec(readFileSync(join(procRoot, "net", file), "latin1"));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The pids that held the listening sockets at the last look, by procfs root. */
const lastOwners = new Map<string, number[]>();

export async function findPortOwners(
  procRoot: string,
  port: number,
  env: Readonly<Record<string, string | undefined>>,
  opts: {
    signal?: AbortSignal;
    /** The host's LISTEN sockets, when the caller read them already (JobReadings). */
    listeners?: TcpSocket[] | undefined;
    /** How descriptor links are read: a job's memo shares them with the gateway's identity. */
    openFilesOf?: OpenFilesOf;
  } = {},
): Promise<PortOwners> {
  const { signal } = opts;
  const listeners = "listeners" in opts ? opts.listeners : readTcpListeners(procRoot);
  const openFilesOf = opts.openFilesOf ?? ((pid: number) => openFiles(procRoot, pid));
  if (listeners === undefined) return fallbackOwners(port, env, signal);

  const listening = listeners.filter((s) => s.port === port);
  if (listening.length === 0) return { method: "procfs", owners: [] };

  const wanted = new Set(listening.map((s) => s.inode));
  const ownerOf = new Map<number, number>();
  // The owners found last time first: on a steady host the first process read holds the socket,
  // where the scan in pid order read the descriptors of most processes (the gateway's pid is
  // usually among the last) every 30 s under the watch.
  const pids = await listPids(procRoot);
  const hint = lastOwners.get(procRoot) ?? [];
  for (const pid of [...hint.filter((p) => pids.includes(p)), ...pids.filter((p) => !hint.includes(p))]) {
    if (signal?.aborted) break;
    for (const inode of socketInodesOf(await openFilesOf(pid))) if (wanted.has(inode)) ownerOf.set(inode, pid);
    if (ownerOf.size === wanted.size) break;
  }
  if (lastOwners.size >= 8 && !lastOwners.has(procRoot)) lastOwners.clear();
  lastOwners.set(procRoot, [...new Set(ownerOf.values())]);
  const owners = await Promise.all(
    listening.map(async (s): Promise<PortOwner> => {
      const address = formatHostPort(s.address, s.port);
      const pid = ownerOf.get(s.inode);
      const proc = pid === undefined ? undefined : await readProcess(procRoot, pid);
      if (!proc) return { address, pid: pid ?? null, command: null, uid: s.uid };
      return {
        address,
        pid: proc.pid,
        command: proc.comm ?? null,
        ...(proc.cmdline ? { commandLine: proc.cmdline } : {}),
        uid: proc.uid ?? s.uid,
      };
    }),
  );
  return { method: "procfs", owners };
}

async function fallbackOwners(
  port: number,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<PortOwners> {
  const ss = await execCommand("ss", ["-ltnpH", "sport", "=", `:${port}`], { env, timeoutMs: TOOL_TIMEOUT_MS, signal });
  if (!ss.spawnError && ss.exitCode === 0) return { method: "ss", owners: parseSsListeners(ss.stdout) };
  const lsof = await execCommand("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpcn"], {
    env,
    timeoutMs: TOOL_TIMEOUT_MS,
    signal,
  });
  // lsof exits 1 when nothing matches.
  if (!lsof.spawnError && (lsof.exitCode === 0 || lsof.exitCode === 1)) {
    return { method: "lsof", owners: parseLsofListeners(lsof.stdout) };
  }
  throw new Error(`no /proc, and neither ss nor lsof answered (${ss.spawnError?.code ?? `ss exit ${ss.exitCode}`})`);
}

/** `LISTEN 0 511 127.0.0.1:19001 0.0.0.0:* users:(("openclaw-gatewa",pid=8088,fd=67))` */
export function parseSsListeners(text: string): PortOwner[] {
  const owners: PortOwner[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const address = cols[3];
    if (!address) continue;
    const users = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)];
    if (users.length === 0) owners.push({ address, pid: null, command: null });
    for (const u of users) owners.push({ address, pid: Number(u[2]), command: u[1] ?? null });
  }
  return owners;
}

/** `lsof -F pcn`: `p<pid>`, `c<command>`, then one `n<address>` per socket. */
export function parseLsofListeners(text: string): PortOwner[] {
  const owners: PortOwner[] = [];
  let pid: number | null = null;
  let command: string | null = null;
  for (const line of text.split("\n")) {
    const tag = line[0];
    const value = line.slice(1);
    if (tag === "p") {
      pid = Number(value);
      command = null;
    } else if (tag === "c") command = value;
    else if (tag === "n") owners.push({ address: value, pid, command });
  }
  return owners;
}

/**
 * The TCP ports a process listens on (procfs only; [] elsewhere). How the agent finds the port
 * of a running gateway whose config it cannot read: the socket it holds is the evidence.
 */
export async function listeningPorts(
  procRoot: string,
  pid: number,
  listeners: TcpSocket[] | undefined = readTcpListeners(procRoot),
  openFilesOf: OpenFilesOf = (p) => openFiles(procRoot, p),
): Promise<number[]> {
  const inodes = new Set(socketInodesOf(await openFilesOf(pid)));
  const ports = (listeners ?? []).filter((s) => inodes.has(s.inode)).map((s) => s.port);
  return [...new Set(ports)].sort((a, b) => a - b);
}
