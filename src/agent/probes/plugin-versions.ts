import { join } from "node:path";
import type { StateFilesData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readdir, readFile, stat } from "../fs-async.ts";
import { errnoCode } from "./errors.ts";

/**
 * The plugins OpenClaw installed from npm into its state folder, with their versions (issue 42,
 * version drift). OpenClaw 2026.9.6 keeps them where its own recovery looks
 * (`listRecoveredManagedNpmInstallCandidates` in dist/installed-plugin-index-record-reader-*.mjs):
 * `<stateDir>/npm/package.json` (the older shared root) and `<stateDir>/npm/projects/<p>/package.json`,
 * whose `dependencies` name the packages, each in `node_modules/<name>/package.json`. Its own
 * install records live in state/openclaw.sqlite, which the agent never opens (state-files.ts).
 */
export type PluginReading = NonNullable<StateFilesData["plugins"]>;

/** Bounds: a state folder with more is not a plugin folder the agent should walk on a probe. */
const MAX_PROJECTS = 64;
const MAX_PACKAGES = 128;
/** A manifest larger than this is not a package.json worth parsing on a probe. */
const MAX_MANIFEST_BYTES = 256 * 1024;

export async function readPluginVersions(stateDir: string): Promise<PluginReading> {
  const npmRoot = join(stateDir, "npm");
  let truncated = false;
  let projects: string[];
  try {
    projects = await projectRoots(npmRoot);
  } catch (err) {
    return { packages: [], error: `${join(npmRoot, "projects")}: ${errorMessage(err)}` };
  }
  if (projects.length > MAX_PROJECTS) {
    projects = projects.slice(0, MAX_PROJECTS);
    truncated = true;
  }
  const seen = new Map<string, string | null>();
  for (const root of [npmRoot, ...projects]) {
    const deps = await dependencyNames(join(root, "package.json"));
    for (const name of deps) {
      if (seen.size >= MAX_PACKAGES) {
        truncated = true;
        break;
      }
      const version = await packageVersion(join(root, "node_modules", ...name.split("/"), "package.json"));
      // Two projects holding one package: OpenClaw takes the newest install; a version beats none.
      if (version !== undefined && (seen.get(name) ?? null) === null) seen.set(name, version);
    }
  }
  const packages = [...seen].map(([name, version]) => ({ name, version })).sort((a, b) => cmp(a.name, b.name));
  return { packages, ...(truncated ? { truncated } : {}) };
}

/**
 * The watch's reading, carried between probes (the agent's CPU budget per probe, docs/watch.md):
 * the manifests are re-read only when a file npm writes on every install changed (each root's
 * package.json and node_modules/.package-lock.json, by mtime and size) or the projects folder
 * did (a project added or removed). About 3 + 2 × projects `stat` calls per probe.
 */
export class PluginVersionsCarry {
  private kept: { key: string; reading: PluginReading } | undefined;

  async read(stateDir: string): Promise<PluginReading> {
    const key = await this.signature(stateDir);
    if (key !== null && this.kept?.key === key) return this.kept.reading;
    const reading = await readPluginVersions(stateDir);
    this.kept = key === null ? undefined : { key, reading };
    return reading;
  }

  private async signature(stateDir: string): Promise<string | null> {
    const npmRoot = join(stateDir, "npm");
    try {
      const parts = [stateDir, await statKey(join(npmRoot, "projects"))];
      for (const root of [npmRoot, ...(await projectRoots(npmRoot)).slice(0, MAX_PROJECTS)]) {
        parts.push(await statKey(join(root, "package.json")));
        parts.push(await statKey(join(root, "node_modules", ".package-lock.json")));
      }
      return parts.join("|");
    } catch {
      return null;
    }
  }
}

async function statKey(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return "-";
    throw err;
  }
}

async function projectRoots(npmRoot: string): Promise<string[]> {
  try {
    const entries = await readdir(join(npmRoot, "projects"), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => join(npmRoot, "projects", e.name))
      .sort(cmp);
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return [];
    throw err;
  }
}

async function readManifest(path: string): Promise<Record<string, unknown> | null> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > MAX_MANIFEST_BYTES) return null;
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The package names a project's package.json depends on (only names npm accepts). */
async function dependencyNames(path: string): Promise<string[]> {
  const deps = (await readManifest(path))?.dependencies;
  if (!deps || typeof deps !== "object" || Array.isArray(deps)) return [];
  return Object.keys(deps).filter((n) => PACKAGE_NAME.test(n));
}

/** The installed package's version; null when its manifest has none; undefined when it is not installed. */
async function packageVersion(path: string): Promise<string | null | undefined> {
  const m = await readManifest(path);
  if (!m) return undefined;
  return typeof m.version === "string" && m.version.trim() ? m.version.trim().slice(0, 64) : null;
}

const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
