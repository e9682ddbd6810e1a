import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { movePlugins, officialPluginMoves, putPluginsBack } from "../../src/agent/probes/gateway-plugins.ts";

/**
 * Official plugins moved in lockstep with the core by `gateway.switch` (issue 42). The lab
 * gateway has no plugin installed (its state dir has no `npm/` folder), so this is the fixture
 * tree test/unit/plugin-versions.test.ts uses (OpenClaw 2026.9.6's layout: the shared
 * `<state>/npm` root and `<state>/npm/projects/<p>`), with an `npm` stand-in that installs as
 * `npm install --prefix <root> <name>@<version>…` does: the package's manifest in the root's
 * node_modules at that version, or fails as the registry's E404.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function install(root: string, name: string, version: string | null): void {
  const dir = join(root, "node_modules", ...name.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(version === null ? { name } : { name, version }));
}

function project(root: string, deps: Record<string, string>): void {
  mkdirSync(join(root, "node_modules"), { recursive: true });
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "openclaw-plugin-project", dependencies: deps }));
}

function lab(npm: "installs" | "fails") {
  const root = mkdtempSync(join(tmpdir(), "clawops-plugins-move-"));
  dirs.push(root);
  const state = join(root, "state");
  const shared = join(state, "npm");
  project(shared, { "@openclaw/matrix": "2026.9.5" });
  install(shared, "@openclaw/matrix", "2026.9.5");
  const a = join(shared, "projects", "openclaw-slack-a1b2");
  project(a, { "@openclaw/slack": "^2026.9.6", "@openclaw/discord": "2026.9.5-2" });
  install(a, "@openclaw/slack", "2026.9.6-1");
  install(a, "@openclaw/discord", "2026.9.5-2");
  const b = join(shared, "projects", "weather-c3d4");
  project(b, { "openclaw-weather": "1.2.0" });
  install(b, "openclaw-weather", "1.2.0");
  const bin = join(root, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "npm"),
    npm === "installs"
      ? `#!/bin/sh\n# npm install --prefix ROOT name@version... --no-audit --no-fund\nroot="$3"; shift 3\nfor spec in "$@"; do case "$spec" in --*) ;; *) name="\${spec%@*}"; version="\${spec##*@}"; mkdir -p "$root/node_modules/$name"; printf '{"name":"%s","version":"%s"}' "$name" "$version" > "$root/node_modules/$name/package.json";; esac; done\n`
      : `#!/bin/sh\necho "npm error code E404" >&2\necho "npm error 404 No match found for version $4" >&2\nexit 1\n`,
  );
  chmodSync(join(bin, "npm"), 0o755);
  const ctx = resolveProbeContext(
    { HOME: root, OPENCLAW_STATE_DIR: state, PATH: [bin, process.env.PATH].join(delimiter) },
    { agentVersion: "0.0.0-test" },
  );
  const versions = join(root, "versions");
  mkdirSync(versions);
  const version = (r: string, name: string) =>
    (
      JSON.parse(readFileSync(join(r, "node_modules", ...name.split("/"), "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  const runCtl = { signal: new AbortController().signal, remainingMs: () => 300_000 };
  return { ctx, state, shared, a, b, versions, version, runCtl };
}

describe("official plugins in lockstep with the core", () => {
  it("names the official plugins off the target's release, root by root; a correction counts as its release; third-party ones are left alone", () => {
    const { state, shared, a } = lab("installs");
    expect(officialPluginMoves(state, "2026.9.6")).toEqual([
      { root: shared, name: "@openclaw/matrix", from: "2026.9.5", to: "2026.9.6" },
      { root: a, name: "@openclaw/discord", from: "2026.9.5-2", to: "2026.9.6" },
    ]);
    // A downgrade moves them the other way.
    expect(officialPluginMoves(state, "2026.9.5").map((m) => m.name)).toEqual(["@openclaw/slack"]);
  });

  it("moves them with npm in their own roots, keeps the roots as they were, and a switch back puts them back", async () => {
    const { ctx, state, shared, a, b, versions, version, runCtl } = lab("installs");
    const moved = await movePlugins(ctx, versions, "2026.9.5", officialPluginMoves(state, "2026.9.6"), runCtl);
    expect(moved.map((m) => `${m.name} ${m.from} → ${m.to}`)).toEqual([
      "@openclaw/matrix 2026.9.5 → 2026.9.6",
      "@openclaw/discord 2026.9.5-2 → 2026.9.6",
    ]);
    expect([
      version(shared, "@openclaw/matrix"),
      version(a, "@openclaw/discord"),
      version(a, "@openclaw/slack"),
    ]).toEqual(["2026.9.6", "2026.9.6", "2026.9.6-1"]);
    expect(version(b, "openclaw-weather")).toBe("1.2.0");
    expect(officialPluginMoves(state, "2026.9.6")).toEqual([]);
    // Only a switch back from the version the copy was taken for, to the one it was taken on.
    expect(putPluginsBack(versions, "2026.9.4", "2026.9.6")).toBeNull();
    expect(putPluginsBack(versions, "2026.9.5", "2026.9.6")).toHaveLength(2);
    expect([version(shared, "@openclaw/matrix"), version(a, "@openclaw/discord")]).toEqual(["2026.9.5", "2026.9.5-2"]);
    // What the newer release left is kept beside the root, and the copy is used once.
    expect(version(`${shared}.clawops-newer`, "@openclaw/matrix")).toBe("2026.9.6");
    // The shared root came back whole, its projects with it.
    expect(version(join(`${shared}.clawops-newer`, "projects", "openclaw-slack-a1b2"), "@openclaw/discord")).toBe(
      "2026.9.6",
    );
    // Nothing new under projects/, where OpenClaw would read it as a project.
    expect(readdirSync(join(shared, "projects")).sort()).toEqual(["openclaw-slack-a1b2", "weather-c3d4"]);
    expect(putPluginsBack(versions, "2026.9.5", "2026.9.6")).toBeNull();
  });

  it("a project alone is put back beside npm/projects, never as a folder OpenClaw would read as a project", async () => {
    const { ctx, state, shared, a, versions, version, runCtl } = lab("installs");
    rmSync(join(shared, "package.json"));
    await movePlugins(ctx, versions, "2026.9.5", officialPluginMoves(state, "2026.9.6"), runCtl);
    expect(version(a, "@openclaw/discord")).toBe("2026.9.6");
    expect(putPluginsBack(versions, "2026.9.5", "2026.9.6")).toHaveLength(1);
    expect(version(a, "@openclaw/discord")).toBe("2026.9.5-2");
    expect(version(join(shared, ".clawops-newer-openclaw-slack-a1b2"), "@openclaw/discord")).toBe("2026.9.6");
    expect(readdirSync(join(shared, "projects")).sort()).toEqual(["openclaw-slack-a1b2", "weather-c3d4"]);
  });

  it("an npm that fails leaves every root as it was, and says which install failed", async () => {
    const { ctx, state, shared, a, versions, version, runCtl } = lab("fails");
    await expect(
      movePlugins(ctx, versions, "2026.9.5", officialPluginMoves(state, "2026.9.6"), runCtl),
    ).rejects.toThrow(/npm install of @openclaw\/matrix@2026\.9\.6 in .*\/npm exited 1: npm error code E404/);
    expect([version(shared, "@openclaw/matrix"), version(a, "@openclaw/discord")]).toEqual(["2026.9.5", "2026.9.5-2"]);
    expect(existsSync(join(versions, ".plugins-before-switch"))).toBe(false);
    expect(putPluginsBack(versions, "2026.9.5", "2026.9.6")).toBeNull();
  });
});
