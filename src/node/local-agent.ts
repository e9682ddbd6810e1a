import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_WITH_PARENT_ENV } from "../agent/parent-watch.ts";
import { issueEnrollmentCode } from "../core/hub/enrollment.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { ControlPlane } from "./server.ts";

/** The agent's installed entry: it turns on Node's compile cache, so the agent starts on half the CPU (docs/benchmarks.md, "CLI start"). */
const AGENT_MAIN = fileURLToPath(new URL("../../bin/clawops-agent.mjs", import.meta.url));

/**
 * `npm start` also runs an agent for this machine, so a fresh install can triage the local
 * gateway at once. It enrolls through the same one-time-code flow as any other host.
 */
export async function startLocalAgent(
  cp: ControlPlane,
  opts: { dataDir: string; host: string; logger: Logger },
): Promise<{ host: string; stop(): Promise<void> }> {
  const dir = join(opts.dataDir, "local-agent");
  const configFile = join(dir, "agent.json");
  const enrolled = await cp.store.getHost(opts.host);
  const ours = existsSync(configFile) && JSON.parse(readFileSync(configFile, "utf8")).host === opts.host;
  if (!enrolled || enrolled.revokedAt || !ours) {
    if (enrolled && !enrolled.revokedAt) await cp.store.revokeHost(opts.host, Date.now());
    const { code } = await issueEnrollmentCode(cp.deps, opts.host);
    await runAgent(["enroll", "--server", cp.url, "--host", opts.host, "--code", code, "--dir", dir], opts.logger);
  }
  let child: ChildProcess | null = null;
  let stopping = false;
  const restarts = new RestartPolicy();
  const launch = () => {
    // The local agent always dials the current URL (the port may differ between runs).
    const started = Date.now();
    const proc = spawnLocalAgentProcess(dir, cp.url, "pipe");
    child = proc;
    // Its stderr goes on to ours; the last lines are kept to say why it stopped.
    let tail = "";
    proc.stderr?.on("data", (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString("utf8")).slice(-2_000);
    });
    proc.once("exit", (code, signal) => {
      if (stopping) return;
      const why = lastLine(tail);
      const next = restarts.after({ code, signal, ranMs: Date.now() - started });
      if ("stop" in next) {
        // Said once, then left alone: restarting what refuses to run only fills the log.
        opts.logger.error(`local agent stopped and not restarted: ${next.stop}`, { code, signal, why, dir });
        return;
      }
      opts.logger.warn(`local agent exited; restarting in ${next.inMs / 1000} s`, { code, signal, why });
      setTimeout(launch, next.inMs).unref();
    });
  };
  launch();
  return {
    host: opts.host,
    async stop() {
      stopping = true;
      const c = child as ChildProcess | null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGTERM");
        setTimeout(() => c.kill("SIGKILL"), 3_000).unref();
      });
    },
  };
}

/**
 * The agent process for `npm start`. Its stdin is a pipe this process holds: when the control
 * plane dies, however it dies, the pipe closes and the agent ends too (src/agent/parent-watch.ts),
 * so no orphan is left to fight the next start's agent on the hub. It runs in a process group of
 * its own, so a terminal's Ctrl-C (SIGINT to the foreground group) reaches only the control plane,
 * which drains and then stops it (issue 44, item 3: the agent stopped at once and its running
 * triage was answered "lost").
 */
export function spawnLocalAgentProcess(
  dir: string,
  serverUrl: string,
  stderr: "inherit" | "pipe" = "inherit",
): ChildProcess {
  return spawn(process.execPath, [AGENT_MAIN, "run", "--dir", dir], {
    env: { ...process.env, CLAWOPS_AGENT_SERVER: serverUrl, [EXIT_WITH_PARENT_ENV]: "1" },
    stdio: ["pipe", "inherit", stderr],
    detached: true,
  });
}

/** The agent's exit code when another agent holds its state folder (src/agent/main.ts). */
export const AGENT_EXIT_LOCKED = 3;
/** Quick exits in a row (each within QUICK_EXIT_MS of its start) before the agent is left stopped. */
const MAX_QUICK_EXITS = 5;
const QUICK_EXIT_MS = 30_000;

/**
 * Whether and when the local agent is started again (issue 32, item 7: a refused agent was
 * restarted every few seconds forever). Refused because another agent holds its state folder:
 * never (it would be refused again). Exiting soon after each start, five times running: it cannot
 * run here, so it stops. Otherwise, after a crash or a kill: again, 2 s, doubling to 30 s while
 * the exits stay quick.
 */
export class RestartPolicy {
  private quickExits = 0;

  after(exit: {
    code: number | null;
    signal: NodeJS.Signals | null;
    ranMs: number;
  }): { stop: string } | { inMs: number } {
    if (exit.code === AGENT_EXIT_LOCKED) {
      return { stop: "another clawops agent holds its state folder (is another clawops running on this data folder?)" };
    }
    this.quickExits = exit.ranMs < QUICK_EXIT_MS ? this.quickExits + 1 : 0;
    if (this.quickExits >= MAX_QUICK_EXITS) {
      return { stop: `it exited ${this.quickExits} times in a row within ${QUICK_EXIT_MS / 1000} s of starting` };
    }
    return { inMs: Math.min(30_000, 2_000 * 2 ** Math.max(0, this.quickExits - 1)) };
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 500);
}

function runAgent(args: string[], logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AGENT_MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout?.on("data", (d) => (out += d));
    p.stderr?.on("data", (d) => (out += d));
    p.once("exit", (code) => {
      if (code === 0) {
        logger.info("local agent enrolled", { output: out.trim() });
        resolve();
      } else reject(new Error(`local agent enrollment failed (exit ${code}): ${out.trim()}`));
    });
  });
}
