import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NotReadyError, waitForReady } from "../support/gateway/readiness.ts";

// The real-gateway harness's readiness wait (test/support/gateway/readiness.ts) on real child
// processes standing in for a starting gateway: one that logs slowly and then becomes ready long
// after the stall window would have passed without progress, one that goes silent, one that dies.

const children: ChildProcess[] = [];
let dir = "";

afterEach(async () => {
  for (const c of children.splice(0)) if (c.pid && c.exitCode === null) process.kill(-c.pid, "SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function starter(script: string): Promise<{ child: ChildProcess; log: string }> {
  dir = await mkdtemp(join(tmpdir(), "clawops-ready-"));
  const log = join(dir, "start.log");
  const child = spawn(process.execPath, ["-e", script, log], { detached: true, stdio: "ignore" });
  children.push(child);
  return { child, log };
}

const readyFile = (log: string) => `${log}.ready`;
const isReady = (log: string) => () =>
  import("node:fs/promises").then((fs) =>
    fs.stat(readyFile(log)).then(
      () => true,
      () => false,
    ),
  );

describe("gateway readiness judged by progress", () => {
  it("keeps waiting past the stall window while the log advances, then returns once ready", async () => {
    // Logs a line every 100 ms for 1.5 s (3× the stall window), idle on the CPU, then ready.
    const { child, log } = await starter(`
      const fs = require("node:fs"); const log = process.argv[1]; let n = 0;
      const t = setInterval(() => {
        fs.appendFileSync(log, "loading plugin " + (++n) + "\\n");
        if (n === 15) { clearInterval(t); fs.writeFileSync(log + ".ready", ""); setInterval(() => {}, 1000); }
      }, 100);`);
    const { ms } = await waitForReady({
      what: "stand-in",
      ready: isReady(log),
      pid: child.pid as number,
      exited: () => child.exitCode ?? child.signalCode,
      logs: [log],
      stallMs: 500,
      ceilingMs: 20_000,
      pollMs: 50,
    });
    expect(ms).toBeGreaterThan(1_000);
  });

  it("gives up on a live process with no log output and no CPU time, quoting its last log lines", async () => {
    const { child, log } = await starter(`
      const fs = require("node:fs"); const log = process.argv[1];
      for (let i = 1; i <= 30; i++) fs.appendFileSync(log, "step " + i + "\\n");
      fs.appendFileSync(log, "starting HTTP server...\\n"); setInterval(() => {}, 1000);`);
    const err = await waitForReady({
      what: "stand-in",
      ready: isReady(log),
      pid: child.pid as number,
      exited: () => child.exitCode ?? child.signalCode,
      logs: [log],
      stallMs: 800,
      ceilingMs: 20_000,
      pollMs: 50,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    const message = (err as Error).message;
    expect(message).toMatch(/no log output and no CPU time for \d/);
    expect(message).toContain("starting HTTP server...");
    expect(message).toContain("step 7"); // the last 25 lines, not the first ones
    expect(message).not.toContain("step 6\n");
    expect(child.exitCode).toBeNull(); // the process was alive all along
  });

  it("stops at the ceiling even while the process keeps making progress", async () => {
    const { child, log } = await starter(`
      const fs = require("node:fs"); const log = process.argv[1];
      setInterval(() => fs.appendFileSync(log, "still loading\\n"), 50);`);
    const err = await waitForReady({
      what: "stand-in",
      ready: isReady(log),
      pid: child.pid as number,
      exited: () => child.exitCode ?? child.signalCode,
      logs: [log],
      stallMs: 5_000,
      ceilingMs: 700,
      pollMs: 50,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/not ready within the 0\.7 s ceiling, though still making progress/);
    expect((err as Error).message).toContain("still loading");
  });

  it("reports an exit before ready with its code and output", async () => {
    const { child, log } = await starter(`
      require("node:fs").appendFileSync(process.argv[1], "Refusing to bind gateway to lan without auth.\\n");
      process.exit(78);`);
    const output = () => "captured: EADDRINUSE 127.0.0.1\n";
    const err = await waitForReady({
      what: "stand-in",
      ready: isReady(log),
      pid: child.pid as number,
      exited: () => child.exitCode ?? child.signalCode,
      logs: [log],
      output,
      pollMs: 50,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/stand-in exited \(78\) before ready/);
    expect((err as Error).message).toContain("captured: EADDRINUSE");
  });
});
