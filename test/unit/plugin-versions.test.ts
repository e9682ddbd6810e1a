import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PluginVersionsCarry, readPluginVersions } from "../../src/agent/probes/plugin-versions.ts";

/**
 * The plugins OpenClaw installs from npm into its state folder, as its own recovery reads them
 * (dist/installed-plugin-index-record-reader-*.mjs): a fixture tree of that layout.
 */
let state: string;

async function install(root: string, name: string, version: string | null): Promise<void> {
  const dir = join(root, "node_modules", ...name.split("/"));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify(version === null ? { name } : { name, version }));
}

async function project(root: string, deps: Record<string, string>): Promise<void> {
  await mkdir(join(root, "node_modules"), { recursive: true });
  await writeFile(join(root, "package.json"), JSON.stringify({ name: "openclaw-plugin-project", dependencies: deps }));
  await writeFile(
    join(root, "node_modules", ".package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, n: Math.random() }),
  );
}

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), "clawops-plugins-"));
  const npm = join(state, "npm");
  // The older shared root: one official plugin.
  await project(npm, { "@openclaw/matrix": "2026.9.5" });
  await install(npm, "@openclaw/matrix", "2026.9.5");
  // Two projects: an official plugin and a third-party one; a dependency never installed; a broken manifest.
  const a = join(npm, "projects", "openclaw-slack-a1b2");
  await project(a, { "@openclaw/slack": "^2026.9.6", "not-installed": "1.0.0" });
  await install(a, "@openclaw/slack", "2026.9.6");
  const b = join(npm, "projects", "weather-c3d4");
  await project(b, { "openclaw-weather": "1.2.0", "@openclaw/broken": "1.0.0", "@openclaw/noversion": "*" });
  await install(b, "openclaw-weather", "1.2.0");
  await install(b, "@openclaw/noversion", null);
  await mkdir(join(b, "node_modules", "@openclaw", "broken"), { recursive: true });
  await writeFile(join(b, "node_modules", "@openclaw", "broken", "package.json"), "{ not json");
});

afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

describe("plugin versions from the state folder", () => {
  it("names every installed package and its version, sorted; broken and missing ones left out", async () => {
    const r = await readPluginVersions(state);
    expect(r.error).toBeUndefined();
    expect(r.packages).toEqual([
      { name: "@openclaw/matrix", version: "2026.9.5" },
      { name: "@openclaw/noversion", version: null },
      { name: "@openclaw/slack", version: "2026.9.6" },
      { name: "openclaw-weather", version: "1.2.0" },
    ]);
  });

  it("a state folder without plugins reads as none, not an error", async () => {
    const empty = await mkdtemp(join(tmpdir(), "clawops-plugins-none-"));
    try {
      expect(await readPluginVersions(empty)).toEqual({ packages: [] });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("the watch's carry keeps its reading until npm writes a manifest, then reads anew", async () => {
    const carry = new PluginVersionsCarry();
    const first = await carry.read(state);
    // A package.json changed behind npm's back (no install): the carry does not look inside.
    await install(join(state, "npm", "projects", "openclaw-slack-a1b2"), "@openclaw/slack", "2026.9.7");
    expect(await carry.read(state)).toBe(first);
    // An install: npm rewrites the project's manifests.
    const a = join(state, "npm", "projects", "openclaw-slack-a1b2");
    await project(a, { "@openclaw/slack": "2026.9.7" });
    const later = new Date(Date.now() + 5_000);
    await utimes(join(a, "package.json"), later, later);
    const second = await carry.read(state);
    expect(second).not.toBe(first);
    expect(second.packages.find((p) => p.name === "@openclaw/slack")?.version).toBe("2026.9.7");
    // A new project folder counts too.
    const c = join(state, "npm", "projects", "zz-new");
    await project(c, { "@openclaw/zalo": "2026.9.6" });
    await install(c, "@openclaw/zalo", "2026.9.6");
    const third = await carry.read(state);
    expect(third.packages.map((p) => p.name)).toContain("@openclaw/zalo");
  });
});
