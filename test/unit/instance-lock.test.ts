import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { acquireInstanceLock, INSTANCE_LOCK_FILE, InstanceLockedError } from "../../src/node/instance-lock.ts";
import { RestartPolicy, startLocalAgent } from "../../src/node/local-agent.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { collectingLogger } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

/**
 * Issue 32, item 7: a second `npm start` on the same data folder ran beside the first on one
 * SQLite file and one console secret, and restarted its refused local agent every 5 s forever.
 */
const started: ControlPlaneProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cp of started.splice(0)) await cp.stop();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

describe("one control plane per data folder", () => {
  it("a second start on the same folder stops at once, naming the first's pid and URL; the first serves on", async () => {
    const dataDir = tempDir("clawops-lock-");
    const first = await spawnControlPlane({}, { dataDir, keepData: true });
    started.push(first);
    const second = spawnControlPlane({}, { dataDir, keepData: true });
    const refusal = await second.then(
      () => "started",
      (err: Error) => err.message,
    );
    expect(refusal).toContain("exited 1");
    expect(refusal).toContain(`Another clawops control plane (pid ${first.child.pid}, listening on ${first.url})`);
    expect(refusal).toContain(`already uses the data folder ${dataDir}`);
    expect(refusal).toContain("CLAWOPS_DATA_DIR");
    expect((await fetch(`${first.url}/livez`)).status).toBe(200);
    expect(JSON.parse(readFileSync(join(dataDir, INSTANCE_LOCK_FILE), "utf8"))).toMatchObject({
      pid: first.child.pid,
      url: first.url,
    });

    // Once the first has stopped, the folder is free again.
    await first.stop();
    started.splice(0);
    const after = await spawnControlPlane({}, { dataDir, keepData: true });
    started.push(after);
    expect((await fetch(`${after.url}/livez`)).status).toBe(200);
  }, 60_000);

  it("a lock left by a process that is gone, or by a pid now another process's, is taken over", () => {
    const dataDir = tempDir("clawops-stale-");
    const path = join(dataDir, INSTANCE_LOCK_FILE);
    // A pid no process has (beyond pid_max), then a live pid (this process's parent) with another start time.
    for (const stale of [
      { pid: 4_194_305, startedAt: "2026-01-01T00:00:00.000Z", url: "http://127.0.0.1:1" },
      { pid: process.ppid, startTicks: "1", startedAt: "2026-01-01T00:00:00.000Z" },
    ]) {
      writeFileSync(path, JSON.stringify(stale));
      const lock = acquireInstanceLock(dataDir);
      expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
      lock.release();
    }
    // A live holder refuses, with the error's code.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, startedAt: "x" }));
    expect(() => acquireInstanceLock(dataDir)).toThrow(InstanceLockedError);
  });
});

describe("a refused local agent", () => {
  let plane: NodePlane | null = null;
  afterAll(() => plane?.close());

  it("says why once and is not restarted", async () => {
    const logger = collectingLogger();
    const logs = logger.lines;
    plane = await startNodePlane({ name: "local-agent", logger });
    const { cp, dir: dataDir } = plane;
    const first = await startLocalAgent(cp, { dataDir, host: "local-1", logger });
    await expect.poll(() => cp.hub.isOnline("local-1"), { timeout: 15_000 }).toBe(true);
    // A second agent for the same folder (what a second control plane on the folder starts).
    const second = await startLocalAgent(cp, { dataDir, host: "local-1", logger });
    await expect
      .poll(() => logs.filter((l) => l.message.startsWith("local agent stopped and not restarted")).length, {
        timeout: 15_000,
      })
      .toBe(1);
    await new Promise((r) => setTimeout(r, 5_000));
    const stopped = logs.filter((l) => l.message.startsWith("local agent stopped and not restarted"));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]?.message).toContain("another clawops agent holds its state folder");
    expect(String(stopped[0]?.fields?.why)).toContain("is already running on the state folder");
    expect(logs.filter((l) => l.message.startsWith("local agent exited; restarting"))).toEqual([]);
    // The first agent is untouched.
    expect(await cp.hub.isOnline("local-1")).toBe(true);
    await second.stop();
    await first.stop();
  }, 60_000);

  it("an agent that keeps exiting right after it starts is left stopped after five tries, with backoff between", () => {
    const policy = new RestartPolicy();
    const quick = { code: 1, signal: null, ranMs: 200 };
    expect([1, 2, 3, 4].map(() => policy.after(quick))).toEqual([
      { inMs: 2_000 },
      { inMs: 4_000 },
      { inMs: 8_000 },
      { inMs: 16_000 },
    ]);
    expect(policy.after(quick)).toEqual({ stop: expect.stringContaining("exited 5 times in a row") });
    // One that ran a while before it exited starts over.
    const fresh = new RestartPolicy();
    expect(fresh.after({ code: null, signal: "SIGKILL", ranMs: 3_600_000 })).toEqual({ inMs: 2_000 });
    expect(fresh.after({ code: 3, signal: null, ranMs: 100 })).toEqual({
      stop: expect.stringContaining("another clawops agent holds its state folder"),
    });
  });
});
