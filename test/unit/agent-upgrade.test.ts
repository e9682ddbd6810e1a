import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgent } from "../../scripts/build-agent.ts";
import { AGENT_VERSION } from "../../src/agent/version.ts";
import { CLI } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { exitOf, killGroup, type Netns, openNetns } from "../support/netns.ts";
import { bridgeIntoNetns } from "../support/netns-bridge.ts";

/**
 * Issue 31, item 7, as an operator does it: a real control plane process serving the agent in
 * CLAWOPS_AGENT_FILE; the install command run as root in a second network namespace with its
 * own /opt, in the foreground, so the install script's loop is the agent's supervisor (the host
 * has no systemd); then a new build dropped into CLAWOPS_AGENT_FILE and `clawops upgrade-agent`.
 * A good build: the agent checks its SHA-256, tries it, swaps the file and restarts into it; `hosts`
 * shows the new version. A broken build (it prints its version but dies at `run`): the trial
 * fails, the file is not replaced, the old agent keeps running and answers a triage.
 */

let work: string;
let served: string;
let built: string;
let cp: ControlPlaneProcess;

type Run = { code: number | null; stdout: string; stderr: string };

function clawops(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CLAWOPS_DATA_DIR: cp.dataDir };
    delete env.CLAWOPS_URL;
    const child = spawn(process.execPath, [CLI, "--server", cp.url, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The built agent with another version (the one string package.json put in the bundle). */
function variant(version: string, opts: { brokenAtRun?: boolean } = {}): string {
  let code = readFileSync(built, "utf8");
  expect(code.split(`"${AGENT_VERSION}"`).length).toBe(2);
  code = code.replace(`"${AGENT_VERSION}"`, JSON.stringify(version));
  if (opts.brokenAtRun) {
    // Runs `--version` as a good build does, then dies on `run` as a bad release would.
    const nl = code.indexOf("\n");
    code = `${code.slice(0, nl + 1)}if (process.argv.includes("run")) { process.stderr.write("broken build\\n"); process.exit(1); }\n${code.slice(nl + 1)}`;
  }
  return code;
}

/** Replaces the served file in one rename, as a deploy would. */
function serve(code: string): string {
  writeFileSync(`${served}.tmp`, code, { mode: 0o755 });
  copyFileSync(`${served}.tmp`, served);
  rmSync(`${served}.tmp`);
  return createHash("sha256").update(code).digest("hex");
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-upgrade-"));
  built = (await buildAgent(join(work, "built", "clawops-agent.mjs"))).outfile;
  served = join(work, "served.mjs");
  copyFileSync(built, served);
  cp = await spawnControlPlane({ CLAWOPS_AGENT_FILE: served });
}, 90_000);

afterAll(async () => {
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("clawops upgrade-agent against a real agent under the install script's supervisor", () => {
  it("upgrades it in place (SHA-256 checked, swapped, restarted), then rolls a broken build back", async () => {
    const enroll = await clawops(["enroll", "node-7"]);
    expect(enroll.code, enroll.stderr).toBe(0);
    const command = enroll.stdout.split("\n").find((l) => l.startsWith("curl ")) ?? "";
    const dir = join(work, "node-7");
    const [opt, home] = [join(dir, "opt"), join(dir, "root-home")];
    for (const d of [opt, home]) mkdirSync(d, { recursive: true });
    const ns: Netns = await openNetns();
    const bridge = await bridgeIntoNetns(ns, cp.url, { dir: work });
    const mounted = await ns.run("sh", ["-c", 'mount --bind "$1" /opt', "sh", opt], {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      cwd: dir,
      timeoutMs: 10_000,
    });
    expect(mounted.code, mounted.stderr).toBe(0);
    const install = ns.spawn("sh", ["-c", `${command} --foreground`], {
      env: {
        PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: home,
        LANG: "C.UTF-8",
      },
      cwd: home,
    });
    let output = "";
    install.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    install.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const agentFile = join(opt, "clawops", "clawops-agent.mjs");
    try {
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 60_000, interval: 500 })
        .toMatch(new RegExp(`node-7 — 🟢 online · agent ${AGENT_VERSION.replace(/\./g, "\\.")}`));

      // 1. A good build: upgraded, restarted by the install script's loop, `hosts` says so.
      const good = serve(variant("0.1.1-up"));
      const up = await clawops(["upgrade-agent", "node-7", "--timeout", "240"]);
      expect(up.code, `${up.stdout}\n${up.stderr}\n${output.slice(-3000)}`).toBe(0);
      expect(up.stdout).toContain("Agent upgrade to 0.1.1-up finished: 1 on 0.1.1-up");
      expect(up.stdout).toMatch(
        /node-7: 0\.1\.0 → 0\.1\.1-up, came online and passed its probe \(restarted by install\.sh\)/,
      );
      expect(createHash("sha256").update(readFileSync(agentFile)).digest("hex")).toBe(good);
      expect(existsSync(join(opt, "clawops", "clawops-agent.prev.mjs"))).toBe(true);
      expect(output).toContain("clawops-agent restarts into its upgrade");
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 30_000, interval: 500 })
        .toMatch(/node-7 — 🟢 online · agent 0\.1\.1-up/);

      // 2. A broken build: it says its version, then dies at `run`; the trial fails, nothing is replaced.
      serve(variant("0.1.2-broken", { brokenAtRun: true }));
      const down = await clawops(["upgrade-agent", "all", "--wave", "50%", "--timeout", "240"]);
      expect(down.code, `${down.stdout}\n${down.stderr}\n${output.slice(-3000)}`).toBe(1);
      expect(down.stdout).toContain("Agent upgrade to 0.1.2-broken finished: 0 on 0.1.2-broken, 1 rolled back");
      expect(down.stdout).toMatch(/node-7: rolled back, the old agent kept running: the new agent exited \(1\)/);
      expect(createHash("sha256").update(readFileSync(agentFile)).digest("hex")).toBe(good);
      expect(existsSync(join(opt, "clawops", "clawops-agent.new.mjs"))).toBe(false);
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 30_000, interval: 500 })
        .toMatch(/node-7 — 🟢 online · agent 0\.1\.1-up/);
      // The old agent still does its work.
      const triage = await clawops(["triage", "node-7", "--timeout", "90"]);
      expect(triage.stdout).toMatch(/Triage of node-7 finished/);
      expect(install.exitCode).toBeNull();

      // Audited per host.
      const audit = await clawops(["audit", "node-7"]);
      expect(audit.stdout).toMatch(/agent\.upgrade/);
    } finally {
      killGroup(install, "SIGTERM");
      await exitOf(install, 10_000).catch(() => killGroup(install, "SIGKILL"));
      await ns.close();
      await bridge.close();
    }
  }, 600_000);
});
