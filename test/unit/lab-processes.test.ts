import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { endWithFile, makeTempDir } from "../support/file-end.ts";
import { endLabProcesses, labProcesses } from "../support/lab-processes.ts";

/** A process that only waits, in a group of its own (as a late OpenClaw child is), with this env. */
function waiter(env: NodeJS.ProcessEnv) {
  const child = endWithFile(
    spawn("sleep", ["60"], { env: { PATH: process.env.PATH, ...env }, detached: true, stdio: "ignore" }),
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  return { child, exited };
}

describe("a lab's leftover processes", () => {
  it("ends those whose state folder, config or HOME is in the lab, and no other", async () => {
    const lab = makeTempDir("clawops-lab-procs-");
    const other = makeTempDir("clawops-lab-procs-other-");
    const byState = waiter({ OPENCLAW_STATE_DIR: join(lab, "state") });
    const byHome = waiter({ HOME: join(lab, "home") });
    // A neighbour whose folder only starts with the lab's name, and one elsewhere: not the lab's.
    const prefixOnly = waiter({ HOME: `${lab}-neighbour/home` });
    const elsewhere = waiter({ OPENCLAW_STATE_DIR: join(other, "state") });
    const pids = [byState, byHome, prefixOnly, elsewhere].map((w) => w.child.pid);
    // /proc shows a spawned process's environ once it has exec'd.
    await expect.poll(() => labProcesses(lab).sort(), { timeout: 10_000 }).toEqual([pids[0], pids[1]].sort());

    expect(await endLabProcesses(lab)).toBe(2);
    expect(await byState.exited).toBe("SIGKILL");
    expect(await byHome.exited).toBe("SIGKILL");
    expect(prefixOnly.child.exitCode ?? prefixOnly.child.signalCode).toBeNull();
    expect(elsewhere.child.exitCode ?? elsewhere.child.signalCode).toBeNull();
    expect(labProcesses(lab)).toEqual([]);
    prefixOnly.child.kill("SIGKILL");
    elsewhere.child.kill("SIGKILL");
    await Promise.all([prefixOnly.exited, elsewhere.exited]);
  });
});
