import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GATE } from "../../src/agent/probes/child-reaper.ts";
import { execCommand } from "../../src/agent/probes/exec.ts";

const work = mkdtempSync(join(tmpdir(), "clawops-exec-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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

  it("finds a bare command name on the command's PATH, and a missing or non-executable one is a spawn error", async () => {
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "fake-openclaw"), '#!/bin/sh\necho "ran $0 $*"\n', { mode: 0o755 });
    writeFileSync(join(bin, "not-executable"), "#!/bin/sh\necho no\n");
    chmodSync(join(bin, "not-executable"), 0o644);
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const ran = await execCommand("fake-openclaw", ["doctor", "--lint"], { env, timeoutMs: 5_000 });
    expect(ran.spawnError).toBeUndefined();
    expect(ran.exitCode).toBe(0);
    expect(ran.stdout.trim()).toBe(`ran ${join(bin, "fake-openclaw")} doctor --lint`);

    const missing = await execCommand("fake-openclaw", [], { env: { PATH: "/usr/bin:/bin" }, timeoutMs: 5_000 });
    expect(missing.spawnError).toEqual({ code: "ENOENT", message: "spawn fake-openclaw ENOENT" });
    const denied = await execCommand(join(bin, "not-executable"), [], { env, timeoutMs: 5_000 });
    expect(denied.spawnError?.code).toBe("EACCES");
    expect(denied.stdout).toBe("");
    const badCwd = await execCommand("fake-openclaw", [], { env, cwd: join(work, "no-such-dir"), timeoutMs: 5_000 });
    expect(badCwd.spawnError).toEqual({ code: "ENOENT", message: "spawn fake-openclaw ENOENT" });
  });

  it("the command's stdin is empty, as before the gate (it reads end of file at once)", async () => {
    const res = await execCommand("/bin/sh", ["-c", "cat; echo done"], { env: process.env, timeoutMs: 5_000 });
    expect(res.timedOut).toBe(false);
    expect(res.stdout).toBe("done\n");
  });

  it("the gate starts nothing when the agent ends before its go-ahead (stdin closes without a line)", () => {
    const marker = join(work, "started");
    const script = join(work, "would-start");
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    const ended = spawnSync("/bin/sh", ["-c", GATE, script], { input: "" });
    expect(ended.status).toBe(125);
    expect(existsSync(marker)).toBe(false);
    const went = spawnSync("/bin/sh", ["-c", GATE, script], { input: "go\n" });
    expect(went.status).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
