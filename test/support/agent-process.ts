import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DOCTOR_CACHE_FILE } from "../../src/agent/probes/doctor-cache-file.ts";
import { endWithFile, makeTempDir } from "./file-end.ts";

/** The agent as installed: bin/clawops-agent.mjs runs src/agent/main.ts with Node's compile cache on. */
export const AGENT_MAIN = fileURLToPath(new URL("../../bin/clawops-agent.mjs", import.meta.url));

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
  const dir = opts.dir ?? makeTempDir("clawops-agent-");
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

/**
 * The doctor reading agents on one test gateway hand on (issue 45, item 7). Each test's agent
 * starts in a new state folder, where its first work would be an `openclaw doctor --lint` (seconds
 * of CPU on a box the whole run keeps busy, 14 runs a run) for the reading the agent before it on
 * the same gateway already kept. An agent started here is given that kept reading, as an agent
 * restarted on its host has its own (src/agent/probes/doctor-cache-file.ts): it answers from it
 * only while its key holds (the same config bytes, install, PATH and state folder shape), and
 * runs doctor as ever when it does not. The first start's cold path stays tested where it is
 * asserted (test/unit/doctor-cache.test.ts, agent-sandbox's probe); `coldDoctor: true` starts an
 * agent without it. Only a gateway whose state folder a test made under the temp folder has a
 * shelf: beside that folder, `.clawops-doctor-reading.<state folder>.json`.
 */
function doctorShelf(env: NodeJS.ProcessEnv): string | null {
  const stateDir = env.OPENCLAW_STATE_DIR ? resolve(env.OPENCLAW_STATE_DIR) : null;
  if (!stateDir?.startsWith(`${tmpdir()}/`)) return null;
  return join(dirname(stateDir), `.clawops-doctor-reading.${basename(stateDir)}.json`);
}

function copyAtomically(from: string, to: string): void {
  try {
    copyFileSync(from, `${to}.tmp`);
    renameSync(`${to}.tmp`, to);
  } catch {
    // Nothing kept, or the lab already removed: the next agent runs doctor itself.
  }
}

export function runAgent(opts: {
  dir: string;
  env: NodeJS.ProcessEnv;
  server?: string;
  launch?: AgentLaunch;
  /** Start without the reading an earlier agent on this gateway kept (see doctorShelf). */
  coldDoctor?: boolean;
}): AgentProcess {
  const shelf = opts.coldDoctor ? null : doctorShelf(opts.env);
  const kept = join(opts.dir, DOCTOR_CACHE_FILE);
  if (shelf && existsSync(shelf) && !existsSync(kept)) copyAtomically(shelf, kept);
  const child = endWithFile(
    spawn(process.execPath, agentArgv(opts.launch, ["run", "--dir", opts.dir]), {
      env: { ...opts.env, ...(opts.server ? { CLAWOPS_AGENT_SERVER: opts.server } : {}) },
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
  // However it ends: what it kept is the next agent's start (its own is written by rename).
  if (shelf) child.once("exit", () => existsSync(kept) && copyAtomically(kept, shelf));
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
