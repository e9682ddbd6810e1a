import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const AGENT_MAIN = fileURLToPath(new URL("../../src/agent/main.ts", import.meta.url));

/**
 * How to start the agent: from the TypeScript sources (default) or from a bundle built by
 * scripts/build-agent.ts, with extra Node flags (the bundle runs with AGENT_NODE_FLAGS).
 */
export interface AgentLaunch {
  entry?: string;
  nodeArgs?: readonly string[];
}

function agentArgv(launch: AgentLaunch | undefined, args: string[]): string[] {
  return [...(launch?.nodeArgs ?? []), launch?.entry ?? AGENT_MAIN, ...args];
}

/** A real `clawops-agent` process: enrolled with a one-time code, then `run`. */
export interface AgentProcess {
  dir: string;
  child: ChildProcess;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function enrollAgent(opts: {
  server: string;
  host: string;
  code: string;
  env: NodeJS.ProcessEnv;
  dir?: string;
  launch?: AgentLaunch;
}): Promise<string> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "clawops-agent-"));
  await promisify(execFile)(
    process.execPath,
    agentArgv(opts.launch, ["enroll", "--server", opts.server, "--host", opts.host, "--code", opts.code, "--dir", dir]),
    {
      env: opts.env,
      timeout: 20_000,
    },
  );
  return dir;
}

export function runAgent(opts: {
  dir: string;
  env: NodeJS.ProcessEnv;
  server?: string;
  launch?: AgentLaunch;
}): AgentProcess {
  const child = spawn(process.execPath, agentArgv(opts.launch, ["run", "--dir", opts.dir]), {
    env: { ...opts.env, ...(opts.server ? { CLAWOPS_AGENT_SERVER: opts.server } : {}) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (d) => {
    log = (log + d).slice(-20_000);
  });
  return {
    dir: opts.dir,
    child,
    log: () => log,
    async kill(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill(signal);
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      });
    },
  };
}
