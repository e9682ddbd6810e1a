import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * Everything a probe needs to know about the host, resolved once per agent start. Probes read
 * the filesystem through these paths (never through globals) so tests can point them at a lab.
 */
export type ProbeContext = {
  agentVersion: string;
  /** Absolute path of the `openclaw` launcher, or `openclaw` to look it up on `env.PATH`. */
  openclawBin: string;
  /** OPENCLAW_CONFIG_PATH, else $OPENCLAW_STATE_DIR/openclaw.json, else ~/.openclaw/openclaw.json. */
  configPath: string;
  /** OPENCLAW_STATE_DIR, else ~/.openclaw. */
  stateDir: string;
  /** Env for CLI calls; also the "shell env" token source (OPENCLAW_GATEWAY_TOKEN). */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the gateway is probed. Loopback: the agent runs on the gateway's host. */
  gatewayHost: string;
  /** Probe this port instead of the one the config/env name. */
  gatewayPortOverride?: number;
  /** Root of procfs; a test can point it at a fixture tree. */
  procRoot: string;
  /** Where the cgroup hierarchies are mounted (default /sys/fs/cgroup); a test can point it at a fixture tree. */
  cgroupRoot?: string;
  /** Folders searched for systemd units / launchd plists whose name contains `openclaw`. */
  serviceUnitDirs: string[];
  /** The agent's own state folder (approval pin, policy.json); mutating steps refuse without it. */
  agentDir?: string;
  /**
   * Set by `run`, which keeps the doctor cache warm itself (at start, when openclaw.json changes,
   * every minute: startDoctorCacheRefresher): `doctor.lint` then answers at once, from the cache
   * or saying a reading is being taken, and never waits for doctor. `probe` and `oneshot` (one
   * process per job) leave it unset and wait.
   */
  doctorInBackground?: boolean;
  /**
   * A triage answered from a kept doctor reading at least this old takes a new one once the job
   * is over (CLAWOPS_DOCTOR_REFRESH_S; REFRESH_AFTER_TRIAGE_MIN_AGE_MS, a minute, when unset).
   */
  doctorRefreshAfterMs?: number;
};

export type ProbeContextOverrides = Partial<ProbeContext>;

/** Port precedence is `--port` → OPENCLAW_GATEWAY_PORT → `gateway.port` → 18789 (openclaw docs/gateway/index.md). */
export const DEFAULT_GATEWAY_PORT = 18789;

export function resolveProbeContext(
  env: Readonly<Record<string, string | undefined>>,
  overrides: ProbeContextOverrides = {},
): ProbeContext {
  const home = nonEmpty(env.HOME) ?? homedir();
  const expand = (p: string) => (isAbsolute(p) ? p : resolve(p.startsWith("~/") ? join(home, p.slice(2)) : p));
  const stateDirEnv = nonEmpty(env.OPENCLAW_STATE_DIR);
  const stateDir = stateDirEnv ? expand(stateDirEnv) : join(home, ".openclaw");
  const configEnv = nonEmpty(env.OPENCLAW_CONFIG_PATH);
  const configPath = configEnv ? expand(configEnv) : join(stateDir, "openclaw.json");

  const portEnv = Number(env.CLAWOPS_GATEWAY_PORT);
  return {
    agentVersion: "0.0.0-dev",
    // A service manager's PATH rarely has the operator's Node 24 + openclaw; let the unit say.
    openclawBin: nonEmpty(env.CLAWOPS_OPENCLAW_BIN) ?? "openclaw",
    configPath,
    stateDir,
    env,
    gatewayHost: "127.0.0.1",
    procRoot: "/proc",
    serviceUnitDirs: defaultServiceUnitDirs(home),
    ...(Number.isInteger(portEnv) && portEnv > 0 && portEnv < 65536 ? { gatewayPortOverride: portEnv } : {}),
    ...definedOnly(overrides),
  };
}

export function defaultServiceUnitDirs(home: string): string[] {
  return [
    // systemd: user units first, where `openclaw gateway install` puts them on Linux.
    join(home, ".config/systemd/user"),
    "/etc/systemd/user",
    "/etc/systemd/system",
    "/usr/lib/systemd/user",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    // launchd (macOS).
    join(home, "Library/LaunchAgents"),
    "/Library/LaunchAgents",
    "/Library/LaunchDaemons",
  ];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
