import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Finished, runProcess } from "../support/run-node.ts";

/**
 * `bin/clawops`, the form of the CLI the docs show (issue 45, item 8): no npm in front of it, and
 * the Node 24 `npm install` brought whatever `node` the machine's PATH has (docs/benchmarks.md,
 * "CLI start").
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "clawops");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** A PATH without the checkout's node_modules/.bin: `node` there is the system's (Node 20 here) or none. */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

function run(command: string, args: string[], opts: { cwd: string; path: string }): Promise<Finished> {
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: opts.path, NO_COLOR: "1" };
  return runProcess(command, args, { env, cwd: opts.cwd });
}

let elsewhere: string;

beforeAll(() => {
  elsewhere = mkdtempSync(join(tmpdir(), "clawops-bin-"));
});

afterAll(() => {
  rmSync(elsewhere, { recursive: true, force: true });
});

describe("bin/clawops", () => {
  it("prints the version on the checkout's Node, not the PATH's", async () => {
    const r = await run(BIN, ["--version"], { cwd: elsewhere, path: SYSTEM_PATH });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`clawops ${VERSION}\n`);
    expect(r.code).toBe(0);
  });

  it("prints the usage", async () => {
    const r = await run(BIN, ["--help"], { cwd: elsewhere, path: SYSTEM_PATH });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("clawops: talk to a running clawops control plane from a terminal");
    expect(r.stdout).toContain("clawops triage <host>");
    expect(r.code).toBe(0);
  });

  it("runs by name through a symlink on PATH (npm link, ~/.local/bin), from any folder", async () => {
    const onPath = join(elsewhere, "path");
    mkdirSync(onPath);
    symlinkSync(BIN, join(onPath, "clawops"));
    const r = await run("clawops", ["--version"], { cwd: elsewhere, path: `${onPath}:${SYSTEM_PATH}` });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`clawops ${VERSION}\n`);
    expect(r.code).toBe(0);
  });

  it("is what `npx clawops` runs in the checkout, without the registry", async () => {
    const r = await run("npx", ["--no", "--offline", "clawops", "--version"], { cwd: ROOT, path: SYSTEM_PATH });
    expect(r.stdout).toBe(`clawops ${VERSION}\n`);
    expect(r.code).toBe(0);
  });
});
