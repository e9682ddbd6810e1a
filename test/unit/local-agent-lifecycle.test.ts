import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STATE_LOCK_FILE } from "../../src/agent/state-lock.ts";
import { enrolledAgentDir } from "../support/approvals.ts";

/**
 * Issue 15, item 6: after a SIGKILL of the control plane its local agent lived on, a second
 * one started, and the two replaced each other on the hub. Real processes, loopback only; the
 * hub address is a closed port, so the agents just keep dialling.
 */
const AGENT_MAIN = join(import.meta.dirname, "../../src/agent/main.ts");
const LOCAL_AGENT = join(import.meta.dirname, "../../src/node/local-agent.ts");
const DEAD_HUB = "ws://127.0.0.1:9/agent";

const started: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, pred: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

async function agentDir(): Promise<string> {
  const { agentDir } = await enrolledAgentDir("node-1");
  dirs.push(agentDir);
  return agentDir;
}

function runAgent(dir: string): ChildProcess & { output: () => string } {
  const p = spawn(process.execPath, [AGENT_MAIN, "run", "--dir", dir], {
    env: { ...process.env, CLAWOPS_AGENT_SERVER: DEAD_HUB },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(p);
  let out = "";
  p.stdout?.on("data", (d) => (out += d));
  p.stderr?.on("data", (d) => (out += d));
  return Object.assign(p, { output: () => out });
}

const lockPid = (dir: string) => {
  try {
    return Number(JSON.parse(readFileSync(join(dir, STATE_LOCK_FILE), "utf8")).pid);
  } catch {
    return null;
  }
};

describe("the local agent ends with the control plane", () => {
  it("SIGKILL of the parent: the agent it started exits within 5 s", async () => {
    const dir = await agentDir();
    // A stand-in control plane: starts the local agent exactly as `npm start` does.
    const script = `
      const { spawnLocalAgentProcess } = await import(${JSON.stringify(LOCAL_AGENT)});
      const child = spawnLocalAgentProcess(process.env.DIR, ${JSON.stringify(DEAD_HUB)});
      process.stdout.write(String(child.pid) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(parent);
    let out = "";
    parent.stdout?.on("data", (d) => (out += d));
    await until("local agent started", () => /^\d+\n/.test(out), 15_000);
    const agentPid = Number(out.trim().split("\n")[0]);
    await until("agent holds its state lock", () => lockPid(dir) === agentPid, 15_000);

    parent.kill("SIGKILL");
    const took = await until("orphaned agent exits", () => !alive(agentPid), 5_000);
    expect(took).toBeLessThan(5_000);
    // It let go of its lock on the way out: the next start's agent is not refused.
    expect(existsSync(join(dir, STATE_LOCK_FILE))).toBe(false);
  }, 90_000);
});

describe("one agent per state folder", () => {
  it("a second agent on the same folder refuses to start, naming the holder, non-zero", async () => {
    const dir = await agentDir();
    const first = runAgent(dir);
    await until("first agent holds the lock", () => lockPid(dir) === first.pid, 15_000);
    const second = runAgent(dir);
    const code = await new Promise<number | null>((resolve) => second.once("exit", (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(second.output()).toContain(`another clawops agent (pid ${first.pid}) is already running`);
    expect(alive(first.pid ?? 0)).toBe(true);
    expect(lockPid(dir)).toBe(first.pid);
  }, 90_000);

  it("a stale lock from a dead pid is taken over", async () => {
    const dir = await agentDir();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(gone.stdout);
    expect(alive(deadPid)).toBe(false);
    writeFileSync(join(dir, STATE_LOCK_FILE), JSON.stringify({ pid: deadPid }));
    const agent = runAgent(dir);
    await until("agent takes the stale lock", () => lockPid(dir) === agent.pid, 15_000);
    expect(agent.exitCode).toBeNull();
  }, 90_000);
});
