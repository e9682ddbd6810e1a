import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, copyFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { AgentUpgradeData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { httpFetch } from "../http-client.ts";
import type { AgentLogger } from "../log.ts";
import { loadAgentPolicy } from "../policy.ts";
import { spawnListed, untrackGroup } from "../probes/child-reaper.ts";
import { execCommand } from "../probes/exec.ts";
import { writeUpgradeRecord } from "./record.ts";
import { agentSupervisor, TRIAL_ENV, TRIAL_PASSED } from "./supervisor.ts";

/**
 * The agent's upgrade in place (issue 31, item 7), on the host's side. `prepare` runs inside the
 * `agent.upgrade` step: it checks this agent can be upgraded here (it runs from a single file in
 * a folder it may write, something restarts it, the host's policy does not refuse upgrades),
 * downloads the new file from its own control plane next to the running one (`clawops-agent.new.mjs`),
 * checks its SHA-256 against the job's, and that it runs (`--version` names the job's version).
 * Nothing is replaced yet; the step answers accepted or not, with why.
 *
 * `begin`, once the step's answer is sent, tries the new file before it replaces anything: the
 * old agent closes its own connection and starts the new file beside it (`run`, with
 * CLAWOPS_AGENT_TRIAL=1), which must come online at the hub and pass a probe of its own within
 * TRIAL_MS. Passed: the old file is kept as `clawops-agent.prev.mjs`, the new one is renamed over the running
 * one (one rename: the folder holds the old file or the new one, never neither), the trial is
 * stopped and the agent exits with 75 for its supervisor to start the new file. Failed (it
 * exited, said so, or was silent past TRIAL_MS): the trial is killed, `clawops-agent.new.mjs` removed, and
 * the old agent, which never stopped running, dials the hub again: rolled back. upgrade.json in the
 * state folder records each phase, and the `versions` step reports it.
 */

/** How long the new file has to come online and pass its probe. */
export const TRIAL_MS = 90_000;
/** The agent file the control plane serves is about 1 MB; this bounds what a download may hold. */
const MAX_AGENT_BYTES = 32 * 1024 * 1024;

export interface UpgradeHooks {
  /** Closes the hub connection and keeps it closed (the trial is the host's agent meanwhile). */
  pause(): Promise<void>;
  /** Dials the hub again (rolled back). */
  resume(): void;
  /** Ends this process for its supervisor to start the new file (exit 75). */
  handOver(): void;
}

export interface UpgraderOptions {
  agentDir: string;
  /** The control plane, as the agent dials it (http(s)). */
  server: string;
  version: string;
  env: NodeJS.ProcessEnv;
  logger: AgentLogger;
  hooks: UpgradeHooks;
  /** The running agent file (default: the script Node runs). */
  agentFile?: string;
}

interface Plan {
  from: string;
  to: string;
  current: string;
  next: string;
}

export class Upgrader {
  private readonly opts: UpgraderOptions;
  private plan: Plan | null = null;
  private busy = false;

  constructor(opts: UpgraderOptions) {
    this.opts = opts;
  }

  /** Checks, downloads and verifies; never replaces anything. */
  async prepare(args: { version: string; sha256: string }, signal?: AbortSignal): Promise<AgentUpgradeData> {
    const from = this.opts.version;
    const answer = (accepted: boolean, reason?: string): AgentUpgradeData => ({
      accepted,
      from,
      to: args.version,
      ...(reason ? { reason } : {}),
      ...(supervisor ? { supervisor } : {}),
    });
    const supervisor = agentSupervisor(this.opts.env);
    if (this.busy || this.plan) return answer(false, "an upgrade is already under way on this host");
    if (args.version === from) return answer(false, `this agent is ${from} already`);
    const current = resolve(this.opts.agentFile ?? process.argv[1] ?? "");
    if (!current.endsWith(".mjs") || /[\\/]src[\\/]agent[\\/]/.test(current)) {
      return answer(false, `this agent runs from ${current}, not from the single agent file: upgrade that checkout`);
    }
    if (!supervisor) {
      return answer(
        false,
        "nothing restarts this agent when it exits (no systemd or launchd unit, not the install script's foreground run): run the install command again to upgrade it",
      );
    }
    const policy = loadAgentPolicy(this.opts.agentDir);
    if (policy.ok && policy.policy.upgrades === "refuse") {
      return answer(false, `the host's policy (${policy.path}) refuses upgrades in place ("upgrades": "refuse")`);
    }
    const folder = dirname(current);
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      return answer(
        false,
        `the agent cannot write ${folder} (installed before upgrades in place): run the install command again once`,
      );
    }
    // Named .mjs: Node runs an ES module only from a file with a known extension.
    const next = current.replace(/\.mjs$/, ".new.mjs");
    this.busy = true;
    try {
      const url = new URL(
        "agent/clawops-agent.mjs",
        this.opts.server.endsWith("/") ? this.opts.server : `${this.opts.server}/`,
      );
      const res = await httpFetch(url, {
        maxBodyBytes: MAX_AGENT_BYTES,
        ...(signal ? { signal } : {}),
      });
      if (res.statusCode !== 200) return answer(false, `${url.pathname} answered HTTP ${res.statusCode}`);
      if (res.truncated) return answer(false, `the agent served is larger than ${MAX_AGENT_BYTES} bytes`);
      const got = createHash("sha256").update(res.body).digest("hex");
      if (got !== args.sha256) {
        return answer(
          false,
          `the agent downloaded from the control plane has SHA-256 ${got}, not ${args.sha256} as the job says: nothing was changed`,
        );
      }
      writeFileSync(next, res.body, { mode: 0o755 });
      const ran = await execCommand(process.execPath, [next, "--version"], {
        env: { PATH: this.opts.env.PATH },
        timeoutMs: 15_000,
        ...(signal ? { signal } : {}),
      });
      const said = ran.stdout.trim();
      if (said !== `clawops-agent ${args.version}`) {
        rmSync(next, { force: true });
        const why =
          ran.exitCode === 0 ? `says "${said.slice(0, 80)}"` : `fails (${(ran.stderr.trim() || said).slice(0, 300)})`;
        return answer(false, `the new agent does not run here: \`${basename(next)} --version\` ${why}`);
      }
      this.plan = { from, to: args.version, current, next };
      return answer(true);
    } catch (err) {
      rmSync(next, { force: true });
      return answer(false, `download from the control plane failed: ${errorMessage(err)}`);
    } finally {
      this.busy = false;
    }
  }

  /** Tries the prepared file, then hands over or rolls back. A second call does nothing. */
  async begin(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.busy) return;
    this.busy = true;
    const { logger, agentDir, hooks } = this.opts;
    const record = (phase: "trial" | "passed" | "rolled-back", reason?: string) =>
      writeUpgradeRecord(agentDir, {
        phase,
        from: plan.from,
        to: plan.to,
        at: Date.now(),
        ...(reason ? { reason } : {}),
      });
    record("trial");
    logger.info("upgrade: trying the new agent beside this one", { from: plan.from, to: plan.to });
    await hooks.pause();
    const trial = this.startTrial(plan);
    const verdict = await waitVerdict(trial, TRIAL_MS);
    if (verdict.passed) {
      try {
        copyFileSync(plan.current, plan.current.replace(/\.mjs$/, ".prev.mjs"));
        renameSync(plan.next, plan.current);
      } catch (err) {
        await stop(trial);
        rmSync(plan.next, { force: true });
        return this.rollBack(plan, `the new file could not be put in place: ${errorMessage(err)}`);
      }
      record("passed");
      await stop(trial);
      logger.info("upgrade: the new agent passed; restarting into it", { from: plan.from, to: plan.to });
      hooks.handOver();
      return;
    }
    await stop(trial);
    rmSync(plan.next, { force: true });
    this.rollBack(plan, verdict.reason);
  }

  private rollBack(plan: Plan, reason: string): void {
    writeUpgradeRecord(this.opts.agentDir, {
      phase: "rolled-back",
      from: plan.from,
      to: plan.to,
      at: Date.now(),
      reason: reason.slice(0, 500),
    });
    this.opts.logger.error("upgrade rolled back: the old agent keeps running", {
      from: plan.from,
      to: plan.to,
      reason,
    });
    this.plan = null;
    this.busy = false;
    this.opts.hooks.resume();
  }

  private startTrial(plan: Plan): ChildProcess {
    // Its own group, listed with the reaper before it starts: it dies with this agent, however
    // this one ends. Its log goes where this agent's goes; its stdout says when it passed.
    const child = spawnListed(process.execPath, [...process.execArgv, plan.next, "run", "--dir", this.opts.agentDir], {
      env: { ...this.opts.env, [TRIAL_ENV]: "1" },
      stdio: ["pipe", "pipe", "inherit"],
    });
    if (child.pid !== undefined) {
      const pid = child.pid;
      child.once("exit", () => untrackGroup(pid));
    }
    return child;
  }
}

/** Resolves when the trial prints that it passed, exits, or stays silent past `ms`. */
function waitVerdict(child: ChildProcess, ms: number): Promise<{ passed: true } | { passed: false; reason: string }> {
  return new Promise((resolve) => {
    let out = "";
    let settled = false;
    const done = (v: { passed: true } | { passed: false; reason: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(
      () =>
        done({ passed: false, reason: `the new agent did not come online and pass its probe within ${ms / 1000} s` }),
      ms,
    );
    child.stdout?.on("data", (d: Buffer) => {
      out = (out + d.toString()).slice(-4_000);
      if (out.includes(TRIAL_PASSED)) return done({ passed: true });
      const failed = /clawops-agent-trial: failed (.*)/.exec(out);
      if (failed?.[1]) done({ passed: false, reason: `the new agent failed its probe: ${failed[1].slice(0, 300)}` });
    });
    child.once("error", (err) => done({ passed: false, reason: `the new agent could not be started: ${err.message}` }));
    child.once("exit", (code, signal) =>
      done({
        passed: false,
        reason: `the new agent exited (${code ?? signal}) before it came online and passed its probe`,
      }),
    );
  });
}

/** SIGTERM (its connection closes politely), SIGKILL after 5 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
