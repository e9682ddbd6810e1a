import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { readFile, realpath } from "../../fs-async.ts";
import type { GatewayProcess } from "./gateway-processes.ts";
import { listeningPorts, readTcpListeners } from "./port-owners.ts";
import type { TcpSocket } from "./proc-net-tcp.ts";
import { type OpenFileEntry, openFileEntries } from "./proc-processes.ts";

/**
 * What a process titled `openclaw-gateway` is, from what it holds (OpenClaw 2026.9.6, measured):
 *
 * - A running gateway holds its config lock open for as long as it runs:
 *   `<stateDir>/tmp/openclaw-<uid>/gateway.<sha256(configPath)[0..8]>.lock` (dist
 *   gateway-lock-*.mjs, `resolveGatewayLockPaths`), and it listens on its port.
 * - The CLI titles itself `openclaw-<command>` (dist program-*.mjs, `setProcessTitleForCommand`),
 *   so `openclaw gateway probe` or `gateway status` runs as `openclaw-gateway` for the seconds it
 *   takes (17 s seen on a busy host), holding neither: it is not a second gateway. It does open
 *   the lock for a moment, to read whose it is (dist gateway-lock-*.mjs `readLockPayload`, a
 *   `readFile`): read-only, where the gateway holds it open for writing (`flags: 02500001` in
 *   /proc/<pid>/fdinfo, measured). A loaded host's scan caught a CLI in that moment once (a
 *   `dual-gateway-process` on a lab gateway, 2026-11-29), so a lock counts as held only when the
 *   descriptor's fdinfo says it is open for writing.
 * - `openclaw --profile work gateway run` keeps the environment it was started with (HOME only),
 *   and sets OPENCLAW_PROFILE, OPENCLAW_STATE_DIR and OPENCLAW_CONFIG_PATH for itself: its workers
 *   inherit them, and its lock sits in `~/.openclaw-work`. Its own environ alone reads as the
 *   default profile's gateway.
 */
export type GatewayIdentity = {
  /** The config lock it holds open, if any. */
  lockPath: string | undefined;
  /** TCP ports it listens on. */
  ports: number[];
  /** Holds a gateway lock or a listening socket: a gateway past its start, not a CLI command. */
  serving: boolean;
};

const CONFIG_LOCK = /^gateway\.[0-9a-f]{8}\.lock$/;

export async function gatewayIdentity(
  procRoot: string,
  pid: number,
  listeners: TcpSocket[] | undefined = readTcpListeners(procRoot),
  openFileEntriesOf: (pid: number) => Promise<OpenFileEntry[]> = (p) => openFileEntries(procRoot, p),
): Promise<GatewayIdentity> {
  // One read of its descriptor links serves both (JobReadings' memo serves the port's owners too).
  const entries = openFileEntriesOf(pid);
  const links = entries.then((es) => es.map((e) => e.link));
  const [locks, ports] = await Promise.all([
    heldGatewayLocks(procRoot, pid, await entries),
    listeningPorts(procRoot, pid, listeners, () => links),
  ]);
  const lockPath = locks.find((p) => CONFIG_LOCK.test(basename(p)));
  return { lockPath, ports, serving: locks.length > 0 || ports.length > 0 };
}

/**
 * Gateway lock files (`gateway.<hash>.lock`, `gateway.state.lock`) the process holds: open, and
 * for writing (a read-only descriptor is a CLI reading whose lock it is; a gone one, closed).
 */
async function heldGatewayLocks(procRoot: string, pid: number, entries: readonly OpenFileEntry[]): Promise<string[]> {
  const locks = entries.filter(
    ({ link: l }) => l.startsWith("/") && (CONFIG_LOCK.test(basename(l)) || basename(l) === "gateway.state.lock"),
  );
  const held = await Promise.all(locks.map((e) => openForWriting(procRoot, pid, e.fd)));
  return locks.filter((_, i) => held[i]).map((e) => e.link);
}

/** Does /proc/<pid>/fdinfo/<fd> say the descriptor is open for writing (O_WRONLY or O_RDWR)? False when unreadable. */
async function openForWriting(procRoot: string, pid: number, fd: string): Promise<boolean> {
  const info = await readFile(join(procRoot, String(pid), "fdinfo", fd), "utf8").catch(() => "");
  const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
  return flags !== undefined && (Number.parseInt(flags, 8) & 0o3) !== 0;
}

/** The config lock a gateway of `configPath` in `stateDir` would hold: its folder's parent's parent and its name. */
export function configLockName(configPath: string): string {
  return `gateway.${createHash("sha256").update(configPath, "utf8").digest("hex").slice(0, 8)}.lock`;
}

/**
 * Does the lock this gateway holds belong to this host's config? The state dir is compared by
 * real path (OpenClaw resolves it through existing ancestors); the name by the config path's hash.
 */
export async function lockServesConfig(
  lockPath: string,
  ours: { stateDir: string; configPath: string },
): Promise<boolean> {
  const lockStateDir = dirname(dirname(dirname(lockPath)));
  const [theirs, mine] = await Promise.all([
    realpath(lockStateDir).catch(() => lockStateDir),
    realpath(ours.stateDir).catch(() => ours.stateDir),
  ]);
  if (theirs !== mine) return false;
  const name = basename(lockPath);
  if (name === configLockName(ours.configPath)) return true;
  const real = await realpath(ours.configPath).catch(() => ours.configPath);
  return name === configLockName(real);
}

/**
 * The config a gateway serves as its runtime environment says: its workers' env (which carries
 * what `--profile` set) before its own, then OPENCLAW_PROFILE. Undefined when none says.
 */
export function envConfigIdentity(g: GatewayProcess): { configPath?: string; stateDir?: string } | undefined {
  const envs = [...g.workers.map((w) => w.env), g.env].filter((e): e is Record<string, string> => e !== undefined);
  for (const env of envs) {
    if (env.OPENCLAW_CONFIG_PATH) return { configPath: env.OPENCLAW_CONFIG_PATH };
    if (env.OPENCLAW_STATE_DIR) return { stateDir: env.OPENCLAW_STATE_DIR };
  }
  for (const env of envs) {
    const profile = env.OPENCLAW_PROFILE?.trim();
    if (env.HOME && profile)
      return { stateDir: join(env.HOME, profile === "default" ? ".openclaw" : `.openclaw-${profile}`) };
  }
  const home = envs.find((e) => e.HOME)?.HOME;
  return home ? { stateDir: join(home, ".openclaw") } : undefined;
}
