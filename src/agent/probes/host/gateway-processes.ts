import { access } from "../../fs-async.ts";
import { execCommand } from "../exec.ts";
import {
  GATEWAY_PROCESS_TITLE,
  isGatewayProcess,
  ProcessScan,
  type ProcProcess,
  processKey,
  readEnviron,
  userNames,
} from "./proc-processes.ts";

/**
 * Every running OpenClaw gateway on the host, with the environment it was started with and
 * the environment its worker children inherited.
 *
 * Why the workers: the gateway rewrites its argv to its process title (`openclaw-gateway`),
 * so `--token X` can no longer be read from /proc/<pid>/cmdline. But `--token` is copied into
 * the gateway's runtime env as OPENCLAW_GATEWAY_TOKEN, and the workers it spawns
 * (spawn-broker, sqlite reader) inherit it: measured on openclaw 2026.9.6.
 */
export type GatewayProcess = {
  pid: number;
  ppid: number | undefined;
  command: string | null;
  commandLine: string | undefined;
  argv: string[];
  user: string | undefined;
  /** Kernel state letter (`S`, `R`, `T` stopped, `Z` zombie); undefined where only `ps` answered. */
  state: string | undefined;
  /** /proc/<pid>/environ: the env the gateway was started with (undefined: not readable). */
  env: Record<string, string> | undefined;
  /** Env of its direct children, which reflects the gateway's runtime env. */
  workers: { pid: number; env: Record<string, string> | undefined }[];
};

export type GatewayProcesses = {
  method: "procfs" | "ps";
  processes: GatewayProcess[];
  /**
   * Each gateway's and worker's `processKey` (start time and comm) as the scan read it; none when
   * one's `stat` could not be read. What the watch's carried readings check each probe.
   */
  keys?: ReadonlyMap<number, string>;
};

export async function findGatewayProcesses(
  procRoot: string,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<GatewayProcesses> {
  const hasProc = await access(procRoot).then(
    () => true,
    () => false,
  );
  if (!hasProc) return { method: "ps", processes: await fromPs(env, signal) };

  const all = await scanOf(procRoot).list();
  const userOf = await userNames();
  const gateways = all.filter(isGatewayProcess);
  const processes = await Promise.all(
    gateways.map(async (g): Promise<GatewayProcess> => {
      const children = all.filter((p) => p.ppid === g.pid);
      return {
        ...describe(g, userOf),
        env: await readEnviron(procRoot, g.pid),
        workers: await Promise.all(
          children.map(async (c) => ({ pid: c.pid, env: await readEnviron(procRoot, c.pid) })),
        ),
      };
    }),
  );
  const keys = keysOf(all);
  return { method: "procfs", processes: processes.sort((a, b) => a.pid - b.pid), ...(keys ? { keys } : {}) };
}

/**
 * The `processKey` of every gateway-titled process and of each one's children as a scan reads
 * them now: the `keys` `findGatewayProcesses` returns, without reading an environment or a
 * user name. What the watch's carried readings compare when tasks were created on the host since
 * their full read (readings-carry.ts). `undefined` without procfs, or for a process whose `stat`
 * cannot be read.
 */
export async function gatewayProcessKeys(procRoot: string): Promise<Map<number, string> | undefined> {
  const all = await scanOf(procRoot)
    .list()
    .catch(() => undefined);
  return all && keysOf(all);
}

/** The `processKey` of each gateway-titled process among `all` and of its children; `undefined` when one has no start time. */
function keysOf(all: readonly ProcProcess[]): Map<number, string> | undefined {
  const keys = new Map<number, string>();
  for (const g of all.filter(isGatewayProcess)) {
    for (const { pid, startTime, comm } of [g, ...all.filter((p) => p.ppid === g.pid)]) {
      if (startTime === undefined) return undefined;
      keys.set(pid, processKey({ startTime, comm }));
    }
  }
  return keys;
}

/** One scan per procfs root (the host's, or a test's fixture trees), so each remembers what it ruled out. */
const scans = new Map<string, ProcessScan>();

function scanOf(procRoot: string): ProcessScan {
  let scan = scans.get(procRoot);
  if (!scan) {
    if (scans.size >= 8) scans.clear();
    scan = new ProcessScan(procRoot, isGatewayProcess);
    scans.set(procRoot, scan);
  }
  return scan;
}

function describe(p: ProcProcess, userOf: (uid: number | undefined) => string | undefined) {
  return {
    pid: p.pid,
    ppid: p.ppid,
    command: p.comm ?? null,
    commandLine: p.cmdline,
    argv: p.argv,
    user: userOf(p.uid),
    state: p.state,
  };
}

/** macOS and other hosts without procfs: `ps` names the processes, their env stays unknown. */
async function fromPs(
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<GatewayProcess[]> {
  const ps = await execCommand("ps", ["-axo", "pid=,ppid=,user=,args="], { env, timeoutMs: 2_000, signal });
  if (ps.spawnError || ps.exitCode !== 0) throw new Error(`ps failed: ${ps.spawnError?.message ?? ps.stderr.trim()}`);
  return parsePsGateways(ps.stdout);
}

export function parsePsGateways(text: string): GatewayProcess[] {
  const out: GatewayProcess[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m?.[4]?.startsWith(GATEWAY_PROCESS_TITLE)) continue;
    const argv = m[4].trim().split(/\s+/);
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      command: argv[0] ?? null,
      commandLine: m[4].trim(),
      argv,
      user: m[3],
      state: undefined,
      env: undefined,
      workers: [],
    });
  }
  return out;
}
