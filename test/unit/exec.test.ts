import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { execCommand } from "../../src/agent/probes/exec.ts";

/** Alive and not a zombie (a container's pid 1 may never reap the orphans we killed). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

describe("execCommand", () => {
  it("returns output and exit code without a shell", async () => {
    const res = await execCommand(process.execPath, ["-e", "console.log('a $HOME b'); process.exit(3)"], {
      env: process.env,
      timeoutMs: 5_000,
    });
    expect(res).toMatchObject({ exitCode: 3, timedOut: false, stdout: "a $HOME b\n" });
  });

  it("kills the whole process group at the deadline", async () => {
    const script = `
      const { spawn } = require("node:child_process");
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      console.log(child.pid);
      setInterval(() => {}, 1000);
    `;
    const started = performance.now();
    // Long enough for a loaded machine to start both processes; the kill is what is checked.
    const res = await execCommand(process.execPath, ["-e", script], { env: process.env, timeoutMs: 3_000 });
    expect(res.timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(15_000);
    const grandchild = Number(res.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 700));
    expect(alive(grandchild)).toBe(false);
  });

  it("reports a missing executable as a spawn error", async () => {
    const res = await execCommand("/nonexistent/openclaw", ["--version"], { env: process.env, timeoutMs: 1_000 });
    expect(res.spawnError?.code).toBe("ENOENT");
    expect(res.exitCode).not.toBe(0);
  });
});
