import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConsoleSecret } from "../../src/node/console/secret.ts";
import { CLI } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { makeTempDir } from "../support/file-end.ts";

/**
 * Issue 32, item 2: the start banner printed a one-time console login link into stdout, which
 * under systemd is the journal: anyone who could read the log within 10 minutes logged in. Here
 * `npm start` runs as a service does (stdout a pipe), the banner and the log are read as the
 * journal would keep them, and `clawops login` prints a working link to whoever reads the data
 * folder. A terminal still gets its link.
 */
const MAIN = join(import.meta.dirname, "../../src/node/main.ts");
const LINK = /\/console\/login\?code=[A-Za-z0-9_-]+/;

let cp: ControlPlaneProcess | null = null;
afterAll(() => cp?.stop());

describe("the start banner when stdout is not a terminal (the journal)", () => {
  it("prints no live login link, says how to get one; `clawops login` prints one that works", async () => {
    cp = await spawnControlPlane({ CLAWOPS_WATCH_INTERVAL_S: "0" });
    await new Promise((r) => setTimeout(r, 300));
    const journal = `${cp.stdout()}\n${cp.stderr()}`;
    expect(journal).toContain("clawops is running at");
    expect(journal).toContain("bin/clawops login");
    expect(journal).not.toMatch(LINK);
    const secret = readConsoleSecret(cp.dataDir) as string;
    expect(journal).not.toContain(secret);

    // What the operator runs (with the data folder readable): a link, once, that logs a browser in.
    const login = spawnSync(process.execPath, [CLI, "login", "--server", cp.url], {
      env: { ...process.env, CLAWOPS_DATA_DIR: cp.dataDir },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(login.status, login.stderr).toBe(0);
    const url = login.stdout.trim();
    expect(url).toMatch(LINK);
    const opened = await fetch(url, { redirect: "manual" });
    expect(opened.status).toBe(302);
    expect(opened.headers.get("set-cookie")).toBeTruthy();
    // Without the folder's secret there is no link to be had.
    const stranger = spawnSync(process.execPath, [CLI, "login", "--server", cp.url], {
      env: { ...process.env, CLAWOPS_DATA_DIR: makeTempDir("clawops-nodata-") },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(stranger.status).not.toBe(0);
    expect(stranger.stdout).not.toMatch(LINK);
  }, 60_000);
});

describe("the start banner in a terminal", () => {
  it("prints the one-time link (stdout is a pty, through script(1))", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "clawops-tty-"));
    const child = spawn("script", ["-qfec", `${process.execPath} ${MAIN}`, "/dev/null"], {
      env: {
        ...process.env,
        CLAWOPS_PORT: "0",
        CLAWOPS_DATA_DIR: dataDir,
        CLAWOPS_LOCAL_AGENT: "0",
        CLAWOPS_WATCH_INTERVAL_S: "0",
      },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    try {
      const t0 = Date.now();
      while (!/Agents connect to/.test(out) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(LINK);
    } finally {
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
