import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_WITH_PARENT_ENV } from "../agent/parent-watch.ts";
import { issueEnrollmentCode } from "../core/hub/enrollment.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { ControlPlane } from "./server.ts";

const AGENT_MAIN = fileURLToPath(new URL("../agent/main.ts", import.meta.url));

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
  const launch = () => {
    // The local agent always dials the current URL (the port may differ between runs).
    child = spawnLocalAgentProcess(dir, cp.url);
    child.once("exit", (code, signal) => {
      if (stopping) return;
      opts.logger.warn("local agent exited; restarting in 2 s", { code, signal });
      setTimeout(launch, 2_000).unref();
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
 * so no orphan is left to fight the next start's agent on the hub.
 */
export function spawnLocalAgentProcess(dir: string, serverUrl: string): ChildProcess {
  return spawn(process.execPath, [AGENT_MAIN, "run", "--dir", dir], {
    env: { ...process.env, CLAWOPS_AGENT_SERVER: serverUrl, [EXIT_WITH_PARENT_ENV]: "1" },
    stdio: ["pipe", "inherit", "inherit"],
  });
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
