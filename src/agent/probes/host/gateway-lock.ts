import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The gateway's own lock file: `$OPENCLAW_STATE_DIR/tmp/openclaw-<uid>/gateway.<hash>.lock`, JSON
 * `{"pid","configPath","stateDir","port",…}` padded with whitespace (GATEWAY-FACTS §2). A kill -9
 * leaves it behind with a dead pid, so it is evidence only together with a live process.
 */
export type GatewayLock = { pid: number; port: number | null; configPath: string | null };

export async function readGatewayLocks(stateDir: string): Promise<GatewayLock[]> {
  const tmp = join(stateDir, "tmp");
  const dirs = await readdir(tmp).catch(() => [] as string[]);
  const locks: GatewayLock[] = [];
  for (const dir of dirs.filter((d) => d.startsWith("openclaw-"))) {
    const files = await readdir(join(tmp, dir)).catch(() => [] as string[]);
    for (const file of files.filter((f) => /^gateway\..+\.lock$/.test(f))) {
      const lock = parseLock(await readFile(join(tmp, dir, file), "utf8").catch(() => ""));
      if (lock) locks.push(lock);
    }
  }
  return locks;
}

function parseLock(text: string): GatewayLock | null {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (typeof json.pid !== "number") return null;
    return {
      pid: json.pid,
      port: typeof json.port === "number" ? json.port : null,
      configPath: typeof json.configPath === "string" ? json.configPath : null,
    };
  } catch {
    return null;
  }
}
