import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { realpath } from "../../fs-async.ts";
import type { GatewayProcess } from "./gateway-processes.ts";
import { listeningPorts, readTcpListeners } from "./port-owners.ts";
import type { TcpSocket } from "./proc-net-tcp.ts";
import { type OpenFilesOf, openFiles } from "./proc-processes.ts";

/**
 * What a process titled `openclaw-gateway` is, from what it holds (OpenClaw 2026.9.6, measured):
 *
 * - A running gateway holds its config lock open for as long as it runs:
 *   `<stateDir>/tmp/openclaw-<uid>/gateway.<sha256(configPath)[0..8]>.lock` (dist
 *   gateway-lock-*.mjs, `resolveGatewayLockPaths`), and it listens on its port.
 * - The CLI titles itself `openclaw-<command>` (dist program-*.mjs, `setProcessTitleForCommand`),
 *   so `openclaw gateway probe` or `gateway status` runs as `openclaw-gateway` for the seconds it
 *   takes (17 s seen on a busy host), holding neither: it is not a second gateway.
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
  openFilesOf: OpenFilesOf = (p) => openFiles(procRoot, p),
): Promise<GatewayIdentity> {
  // One read of its descriptor links serves both (JobReadings' memo serves the port's owners too).
  const links = openFilesOf(pid);
  const [locks, ports] = await Promise.all([
    heldGatewayLocks(await links),
    listeningPorts(procRoot, pid, listeners, () => links),
  ]);
  const lockPath = locks.find((p) => CONFIG_LOCK.test(basename(p)));
  return { lockPath, ports, serving: locks.length > 0 || ports.length > 0 };
}

/** Gateway lock files (`gateway.<hash>.lock`, `gateway.state.lock`) among the process's open files. */
function heldGatewayLocks(links: readonly string[]): string[] {
  return links.filter(
    (l) => l.startsWith("/") && (CONFIG_LOCK.test(basename(l)) || basename(l) === "gateway.state.lock"),
  );
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
