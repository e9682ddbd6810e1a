import { basename, join, relative } from "node:path";
import type { GatewayLockFile, LockOwner, StateLocksData, WriteLockFile } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readdir, readFile, realpath, stat } from "../fs-async.ts";
import { isoMillis } from "../icu-free.ts";
import { configLockName } from "./host/gateway-identity.ts";
import { readProcess } from "./host/proc-processes.ts";
import type { Probe } from "./probe.ts";

/**
 * `state.locks` (issue 30): the lock files a process that died leaves behind, judged the way
 * OpenClaw 2026.9.6 judges them (dist gateway-lock-*.mjs `resolveGatewayOwnerStatus`,
 * @openclaw/fs-safe's sidecar locks):
 *
 * - the gateway lock `<stateDir>/tmp/openclaw-<uid>/gateway.<sha256(configPath)[0..8]>.lock` and
 *   `gateway.state.lock`: JSON `{pid, ownerId, createdAt, configPath, stateDir, port, startTime}`
 *   (then whitespace padding). At start OpenClaw reclaims one whose owner is dead (no such pid, a
 *   different start time, or a command line that is not a gateway) and waits on any other:
 *   `gateway already running (pid N); lock timeout after 5000ms`.
 * - write locks, `<file>.lock` sidecars holding `{pid, createdAt, starttime?}`: a transcript
 *   lock under `agents/<id>/sessions/` (`*.jsonl.lock`, written by OpenClaw before its sessions
 *   moved to SQLite), the auth-profile store's, the config's. One whose owner died makes the next
 *   writer fail with `file lock timeout for <path>` or `file lock stale for <path>`.
 *
 * Read only, bounded: at most MAX_SCANNED lock files looked at.
 */
const MAX_SCANNED = 500;
const MAX_REPORTED = 20;
/** A write lock a live process has held this long is stuck (a write takes milliseconds). */
const STUCK_MS = 10 * 60 * 1000;

export const probeStateLocks: Probe<"state.locks"> = async (ctx, _args, run) => {
  const stateDir = ctx.stateDir;
  const lockDirs = await readdir(join(stateDir, "tmp"))
    .then((names) => names.filter((n) => /^openclaw-\d+$/.test(n)).map((n) => join(stateDir, "tmp", n)))
    .catch(() => [] as string[]);
  const data: StateLocksData = {
    stateDir,
    lockDir: lockDirs[0] ?? join(stateDir, "tmp", `openclaw-${process.getuid?.() ?? 0}`),
    gatewayLocks: [],
    writeLocks: [],
    scanned: 0,
    truncated: false,
  };
  try {
    const identities = await run.readings.gatewayIdentities().catch(() => new Map());
    const held = new Set([...identities.values()].map((i) => i.lockPath).filter(Boolean) as string[]);
    const names = new Set([configLockName(ctx.configPath)]);
    names.add(configLockName(await realpath(ctx.configPath).catch(() => ctx.configPath)));
    for (const dir of lockDirs) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const kind = names.has(name) ? "config" : name === "gateway.state.lock" ? "state" : null;
        if (!kind) continue;
        data.gatewayLocks.push(await readGatewayLock(ctx.procRoot, join(dir, name), kind, held));
      }
    }
    const found = await findWriteLocks(stateDir, run.signal);
    data.scanned = found.scanned + data.gatewayLocks.length;
    data.truncated = found.truncated;
    const now = Date.now();
    const locks = await Promise.all(found.paths.map((p) => readWriteLock(ctx.procRoot, stateDir, p, now)));
    data.writeLocks = locks
      .filter((l): l is WriteLockFile => l !== null && (l.owner !== "alive" || l.ageMs >= STUCK_MS))
      .sort((a, b) => b.ageMs - a.ageMs)
      .slice(0, MAX_REPORTED);
  } catch (err) {
    data.error = errorMessage(err).slice(0, 300);
  }
  return data;
};

async function readGatewayLock(
  procRoot: string,
  path: string,
  kind: "config" | "state",
  held: ReadonlySet<string>,
): Promise<GatewayLockFile> {
  const base: GatewayLockFile = {
    path,
    kind,
    pid: null,
    createdAt: null,
    port: null,
    role: null,
    owner: "unknown",
    ownerCommand: null,
    heldOpen: held.has(path),
  };
  let payload: Record<string, unknown>;
  try {
    payload = record(JSON.parse((await readFile(path, "utf8")).trim()));
  } catch (err) {
    return { ...base, parseError: errorMessage(err).slice(0, 200) };
  }
  const pid = positiveInt(payload.pid);
  const role = typeof payload.role === "string" ? payload.role : null;
  const owner = pid === null ? null : await judgeOwner(procRoot, pid, num(payload.startTime), role ?? "gateway");
  return {
    ...base,
    pid,
    createdAt: typeof payload.createdAt === "string" ? payload.createdAt.slice(0, 40) : null,
    port: num(payload.port),
    role,
    owner: owner?.status ?? "unknown",
    ownerCommand: owner?.command ?? null,
  };
}

/** Where write-lock sidecars live: the state dir, one level of folders, and every agent's folders. */
async function findWriteLocks(
  stateDir: string,
  signal: AbortSignal,
): Promise<{ paths: string[]; scanned: number; truncated: boolean }> {
  const paths: string[] = [];
  let scanned = 0;
  let truncated = false;
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (truncated || signal.aborted) return;
    let entries: { name: string; isDirectory(): boolean; isFile(): boolean }[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (scanned >= MAX_SCANNED) {
        truncated = true;
        return;
      }
      const full = join(dir, e.name);
      if (e.isFile() && e.name.endsWith(".lock") && !/^gateway\.([0-9a-f]{8}|state)\.lock$/.test(e.name)) {
        scanned += 1;
        paths.push(full);
      } else if (e.isDirectory() && depth > 0 && !SKIP_DIRS.has(e.name)) await visit(full, depth - 1);
    }
  };
  await visit(stateDir, 1);
  // agents/<id>/{sessions,agent}/…: two levels deeper than the walk above reaches.
  for (const agent of await readdir(join(stateDir, "agents")).catch(() => [] as string[])) {
    for (const sub of ["sessions", "agent"]) await visit(join(stateDir, "agents", agent, sub), 0);
  }
  return { paths, scanned, truncated };
}

/** Folders with many files and no write locks of the gateway's: caches, media, the workspace's git. */
const SKIP_DIRS = new Set(["tmp", "cache", "media", "workspace", "node_modules", ".git", "plugin-skills", "logs"]);

async function readWriteLock(
  procRoot: string,
  stateDir: string,
  path: string,
  now: number,
): Promise<WriteLockFile | null> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mtimeMs)]);
  } catch {
    return null;
  }
  let payload: Record<string, unknown> = {};
  try {
    payload = record(JSON.parse(text.trim()));
  } catch {
    // An unreadable payload: OpenClaw judges it by age alone; so does this.
  }
  const pid = positiveInt(payload.pid);
  const createdAt = typeof payload.createdAt === "string" ? payload.createdAt.slice(0, 40) : null;
  const created = createdAt ? isoMillis(createdAt) : Number.NaN;
  const owner = pid === null ? null : await judgeOwner(procRoot, pid, num(payload.starttime), null);
  const rel = relative(stateDir, path);
  return {
    path: rel,
    pid,
    createdAt,
    ageMs: Math.max(0, Math.round(now - (Number.isFinite(created) ? created : mtimeMs))),
    owner: owner?.status ?? (pid === null ? "unknown" : "dead"),
    sessionTranscript:
      /(^|\/)agents\/[^/]+\/sessions\/[^/]+\.jsonl\.lock$/.test(rel) || basename(rel).endsWith(".jsonl.lock"),
  };
}

/**
 * OpenClaw's own verdict on a lock's owner: dead when the pid is gone or its start time is not
 * the one recorded; else, for a gateway lock, alive only when the command line is a gateway's.
 */
async function judgeOwner(
  procRoot: string,
  pid: number,
  startTime: number | null,
  role: string | null,
): Promise<{ status: LockOwner; command: string | null }> {
  const proc = await readProcess(procRoot, pid);
  if (!proc) return { status: "dead", command: null };
  const command = proc.comm ?? null;
  if (startTime !== null) {
    const current = await processStartTime(procRoot, pid);
    if (current !== null) return { status: current === startTime ? "alive" : "dead", command };
  }
  if (role === null) return { status: "alive", command };
  if (proc.argv.length === 0) return { status: "unknown", command };
  if (role === "gateway") return { status: isGatewayArgv(proc.argv) ? "alive" : "dead", command };
  return { status: isOpenClawArgv(proc.argv) ? "alive" : "dead", command };
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot (what OpenClaw records). */
async function processStartTime(procRoot: string, pid: number): Promise<number | null> {
  const text = await readFile(join(procRoot, String(pid), "stat"), "utf8").catch(() => "");
  const after = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const value = Number(after[19]);
  return Number.isFinite(value) && after.length > 19 ? value : null;
}

/** OpenClaw's `isGatewayArgv(args, { allowGatewayBinary: true })` (dist gateway-process-argv-*.mjs). */
export function isGatewayArgv(args: readonly string[]): boolean {
  const norm = args.map((a) => a.replaceAll("\\", "/").toLowerCase());
  const exe = (norm[0] ?? "").replace(/\.(bat|cmd|exe)$/i, "");
  if (exe.endsWith("/openclaw-gateway") || exe === "openclaw-gateway") return true;
  return norm.includes("gateway") && isOpenClawArgv(args);
}

const ENTRY_CANDIDATES = [
  "dist/index.js",
  "dist/entry.js",
  "openclaw.mjs",
  "scripts/run-node.mjs",
  "src/entry.ts",
  "src/index.ts",
];

function isOpenClawArgv(args: readonly string[]): boolean {
  const norm = args.map((a) => a.replaceAll("\\", "/").toLowerCase());
  const exe = (norm[0] ?? "").replace(/\.(bat|cmd|exe)$/i, "");
  if (norm.some((a) => ENTRY_CANDIDATES.some((e) => a.endsWith(e)))) return true;
  return exe.endsWith("/openclaw") || exe === "openclaw";
}

function positiveInt(v: unknown): number | null {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
