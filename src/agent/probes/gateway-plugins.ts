import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ProbeContext } from "./context.ts";
import { execCommand } from "./exec.ts";

/**
 * Official plugins moved with the core (issue 42: `@openclaw/*` left on the old release fail to
 * load after a core update, "does not provide an export named …", openclaw/openclaw#138232).
 * OpenClaw installs plugins from npm into its state folder (plugin-versions.ts reads the same
 * layout): `<state>/npm/package.json` and `<state>/npm/projects/<p>/package.json`, each with its
 * `node_modules`. Before a switch forward the agent copies each root that holds an official
 * plugin off the target's release into `<versions dir>/.plugins-before-switch/`, then runs
 * `npm install --prefix <root> @openclaw/<x>@<target>…` in it; a switch back to the version the
 * copy was taken on puts the roots back (staged beside each root, then two renames; what the
 * newer release left is kept as `<state>/npm.clawops-newer`, or
 * `<state>/npm/.clawops-newer-<project>` for a project: never a folder OpenClaw reads as one). Third-party plugins are not touched.
 */
const FOLDER = ".plugins-before-switch";
const MANIFEST = "manifest.json";
const MAX_ROOTS = 64;

export interface PluginMove {
  root: string;
  name: string;
  from: string | null;
  to: string;
}

interface PluginsBackup {
  from: string;
  to: string;
  roots: { root: string; copy: string }[];
  moved: PluginMove[];
}

/** A correction (`2026.9.6-1`) counts as its release, as OpenClaw's own drift check reads it. */
const release = (v: string) => v.replace(/^v/, "").replace(/-\d+$/, "");

/** The official plugins under the state folder whose release is not `target`'s, root by root. */
export function officialPluginMoves(stateDir: string, target: string): PluginMove[] {
  const npm = join(stateDir, "npm");
  let projects: string[] = [];
  try {
    projects = readdirSync(join(npm, "projects"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(npm, "projects", e.name))
      .sort();
  } catch {
    // No projects folder: the shared root only.
  }
  const moves: PluginMove[] = [];
  for (const root of [npm, ...projects].slice(0, MAX_ROOTS)) {
    const deps = readJson(join(root, "package.json"))?.dependencies;
    if (!deps || typeof deps !== "object") continue;
    for (const name of Object.keys(deps).filter((n) => /^@openclaw\/[a-z0-9][a-z0-9._~-]*$/.test(n))) {
      const manifest = readJson(join(root, "node_modules", ...name.split("/"), "package.json"));
      if (!manifest) continue;
      const from = typeof manifest.version === "string" ? manifest.version : null;
      if (from === null || release(from) !== release(target)) moves.push({ root, name, from, to: target });
    }
  }
  return moves;
}

/**
 * Copies the roots, then installs the target's release of each official plugin in them. Any npm
 * failure puts every root back as it was and throws: the core is not switched either.
 */
export async function movePlugins(
  ctx: ProbeContext,
  versionsDir: string,
  from: string,
  moves: PluginMove[],
  run: { signal: AbortSignal; remainingMs: () => number },
): Promise<PluginMove[]> {
  const dest = join(versionsDir, FOLDER);
  rmSync(dest, { recursive: true, force: true });
  if (moves.length === 0) return [];
  const to = moves[0]?.to as string;
  const roots = [...new Set(moves.map((m) => m.root))];
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  const backup: PluginsBackup = { from, to, roots: [], moved: moves };
  roots.forEach((root, i) => {
    cpSync(root, join(dest, String(i)), { recursive: true, verbatimSymlinks: true });
    backup.roots.push({ root, copy: String(i) });
  });
  writeFileSync(join(dest, MANIFEST), `${JSON.stringify(backup)}\n`, { mode: 0o600 });
  for (const root of roots) {
    const names = moves.filter((m) => m.root === root).map((m) => `${m.name}@${to}`);
    const res = await execCommand("npm", ["install", "--prefix", root, ...names, "--no-audit", "--no-fund"], {
      env: ctx.env,
      timeoutMs: Math.max(1_000, run.remainingMs() - 100_000),
      signal: run.signal,
    });
    const wrong = moves
      .filter((m) => m.root === root)
      .find(
        (m) =>
          release(String(readJson(join(root, "node_modules", ...m.name.split("/"), "package.json"))?.version)) !==
          release(to),
      );
    if (res.exitCode !== 0 || wrong) {
      restorePlugins(backup, dest);
      rmSync(dest, { recursive: true, force: true });
      const said = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-3).join(" / ").slice(0, 300);
      throw new Error(
        res.exitCode !== 0
          ? `npm install of ${names.join(", ")} in ${root} ${res.spawnError ? `could not start (${res.spawnError.code})` : `exited ${res.exitCode ?? res.exitSignal}`}${said ? `: ${said}` : ""}`
          : `npm left ${wrong?.name} off ${to} in ${root}`,
      );
    }
  }
  return moves;
}

/** On a switch back to `version` from `current`: the plugin roots as they were before that switch, or null. */
export function putPluginsBack(versionsDir: string, version: string, current: string): PluginMove[] | null {
  const dest = join(versionsDir, FOLDER);
  const b = readJson(join(dest, MANIFEST)) as PluginsBackup | null;
  if (!b || b.from !== version || b.to !== current || !Array.isArray(b.roots)) return null;
  restorePlugins(b, dest);
  rmSync(dest, { recursive: true, force: true });
  return b.moved;
}

/**
 * Where a root's staged copy and its newer self go: beside it, on its file system (each put is a
 * rename), but never inside `npm/projects/`, where OpenClaw would take the folder for a project.
 */
function beside(root: string, tag: "restore" | "newer"): string {
  return basename(dirname(root)) === "projects"
    ? join(dirname(dirname(root)), `.clawops-${tag}-${basename(root)}`)
    : `${root}.clawops-${tag}`;
}

function restorePlugins(b: PluginsBackup, dest: string): void {
  const all = b.roots.map((r) => r.root);
  for (const { root, copy } of b.roots) {
    // A project inside a root put back whole (the shared `npm/` holds `projects/`) came back with it.
    if (all.some((r) => r !== root && root.startsWith(`${r}/`))) continue;
    const staged = beside(root, "restore");
    rmSync(staged, { recursive: true, force: true });
    cpSync(join(dest, copy), staged, { recursive: true, verbatimSymlinks: true });
    const aside = beside(root, "newer");
    rmSync(aside, { recursive: true, force: true });
    if (existsSync(root)) renameSync(root, aside);
    renameSync(staged, root);
  }
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(readFileSync(path, "utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
