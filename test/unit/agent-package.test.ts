import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAgent } from "../../scripts/pack-agent.ts";

/**
 * `npm pack` of the project carries a working `clawops-agent`: `prepack` builds the single-file
 * agent into dist/, and bin/clawops-agent.mjs runs it wherever the sources cannot run (Node does
 * not strip types under node_modules, and a package has no node_modules of its own). The package
 * is checked unpacked as it is, and laid out as `npm install` lays it out (node_modules/clawops,
 * node_modules/.bin/clawops-agent): an offline `npm install` cannot fetch its control-plane
 * dependencies here, and the agent needs none of them.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

let work: string;
let tarball: string;
const env = () => ({
  PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: work,
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-pack-"));
  await run("npm", ["pack", "--silent", "--pack-destination", work], {
    cwd: ROOT,
    env: { ...process.env },
    timeout: 120_000,
  });
  const [name] = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  tarball = join(work, name ?? "none.tgz");
}, 150_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("npm pack of the project", () => {
  it("holds the built agent, the bin and the install files, and no tests", async () => {
    const { stdout } = await run("tar", ["tzf", tarball]);
    const files = stdout.split("\n");
    for (const f of [
      "package/dist/clawops-agent.mjs",
      "package/bin/clawops-agent.mjs",
      "package/bin/require-node.mjs",
      "package/infra/install/install.sh",
      "package/infra/systemd/clawops-agent.service",
      "package/package.json",
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith("package/test/"))).toEqual([]);
    // The prebuilt agent's SHA-256, which a control plane checks before serving it (issue 33).
    expect(files).toContain("package/dist/clawops-agent.mjs.sha256");
    const agent = (
      await run("tar", ["xzfO", tarball, "package/dist/clawops-agent.mjs"], { encoding: "buffer", maxBuffer: 8 << 20 })
    ).stdout;
    const line = (await run("tar", ["xzfO", tarball, "package/dist/clawops-agent.mjs.sha256"])).stdout;
    expect(line).toBe(`${createHash("sha256").update(agent).digest("hex")}  clawops-agent.mjs\n`);
  });

  it("unpacked, runs clawops-agent --version and help under Node 24", async () => {
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    await run("tar", ["xzf", tarball, "-C", unpacked]);
    const bin = join(unpacked, "package", "bin", "clawops-agent.mjs");
    expect((await run(process.execPath, [bin, "--version"], { env: env() })).stdout).toBe("clawops-agent 0.1.0\n");
    const help = await run(process.execPath, [bin, "help"], { env: env() });
    expect(help.stdout).toMatch(/^clawops-agent 0\.1\.0: runs clawops probes on an OpenClaw gateway host\./);
    expect(help.stdout).toContain("clawops-agent enroll --server URL --host NAME --code CODE");
  });

  it("installed as npm lays a package out, `clawops-agent` on PATH runs the bundled agent", async () => {
    const project = join(work, "project");
    const pkg = join(project, "node_modules", "clawops");
    mkdirSync(pkg, { recursive: true });
    await run("tar", ["xzf", tarball, "-C", pkg, "--strip-components=1"]);
    mkdirSync(join(project, "node_modules", ".bin"));
    symlinkSync("../clawops/bin/clawops-agent.mjs", join(project, "node_modules", ".bin", "clawops-agent"));
    const path = `${join(project, "node_modules", ".bin")}:${env().PATH}`;
    const version = await run("sh", ["-c", "clawops-agent --version"], { env: { ...env(), PATH: path }, cwd: project });
    expect(version.stdout).toBe("clawops-agent 0.1.0\n");
    // Under node_modules the TypeScript sources would fail to load: the bundle ran.
    expect(version.stderr).toBe("");
  });
});

describe("the agent package (npm run pack:agent)", () => {
  it("installs with `npm install --offline` (no dependencies) and runs clawops-agent --version", async () => {
    const tgz = await packAgent(join(work, "agent-pack"));
    const { stdout } = await run("tar", ["tzf", tgz]);
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual([
      "package/README.md",
      "package/clawops-agent.mjs",
      "package/package.json",
    ]);
    const project = join(work, "agent-project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), '{ "name": "host", "private": true }\n');
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tgz], {
      cwd: project,
      env: { ...process.env, HOME: work },
      timeout: 60_000,
    });
    const version = await run(join(project, "node_modules", ".bin", "clawops-agent"), ["--version"], { env: env() });
    expect(version.stdout).toBe("clawops-agent 0.1.0\n");
  }, 90_000);
});
