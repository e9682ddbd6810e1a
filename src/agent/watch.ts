import { createHash } from "node:crypto";
import type { AgentFrame, JobRunFrame } from "../contract/agent-wire.ts";
import { type StepResult, WATCH_STORAGE_STEPS } from "../contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps, WATCH_DIGEST_MS, watchComparable } from "../contract/watch.ts";
import type { AgentLogger } from "./log.ts";
import { releaseMemory } from "./memory.ts";
import { ReadingsCarry } from "./probes/readings-carry.ts";
import { agentSecondsVar } from "./vars.ts";

/** Env var: this host's watch interval in seconds (overrides the control plane's; 0 turns the watch off). */
export const WATCH_INTERVAL_ENV = "CLAWOPS_WATCH_INTERVAL_S";

export interface AgentWatchOptions {
  /** Runs catalog steps (the connection's job runner). */
  runner: {
    run(job: JobRunFrame, onResult: (r: StepResult) => void, opts?: { carry?: ReadingsCarry }): Promise<StepResult[]>;
  };
  logger: AgentLogger;
  /** Sends a frame on the current connection; false when there is none. */
  send: (frame: AgentFrame) => boolean;
  /** True while a job runs: the tick is skipped. */
  busy: () => boolean;
  /** This host's own interval (CLAWOPS_WATCH_INTERVAL_S), overriding the control plane's. */
  overrideMs?: number;
}

/**
 * The agent's side of the watch (docs/watch.md): the quick probe every interval (±10 % jitter,
 * so a fleet does not probe in lockstep), a `watch.state` when the comparable results changed,
 * a `watch.digest` (the hash alone) on the probe after a change and then once per digest period.
 * One probe at a time; a tick that finds a job running skips (the job probes the gateway already).
 */
export class AgentWatch {
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private lastHash: string | null = null;
  private confirmDue = false;
  private lastSentAt = 0;
  private intervalMs = 0;
  private digestMs = WATCH_DIGEST_MS;
  private running = false;
  private released = false;
  private generation = 0;
  /** The host readings carried between probes while the host stays as it was (readings-carry.ts). */
  readonly carry = new ReadingsCarry();

  private readonly opts: AgentWatchOptions;

  constructor(opts: AgentWatchOptions) {
    this.opts = opts;
  }

  /**
   * A new connection was welcomed: start (again) with its settings; the first probe sends its
   * state. A hub that says no interval (before the watch) would refuse watch frames: no watch.
   */
  start(settings: { intervalMs?: number; digestMs?: number }): void {
    this.stop();
    if (settings.intervalMs === undefined) return;
    this.intervalMs = this.opts.overrideMs ?? settings.intervalMs;
    this.digestMs = settings.digestMs ?? WATCH_DIGEST_MS;
    this.lastHash = null;
    this.confirmDue = false;
    if (this.intervalMs <= 0) return;
    const gen = ++this.generation;
    // The first probe soon after connecting (jittered too: a fleet reconnecting at once spreads out).
    this.schedule(gen, Math.round(Math.random() * Math.min(this.intervalMs, 5_000)));
  }

  stop(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(gen: number, delayMs: number): void {
    if (gen !== this.generation) return;
    this.timer = setTimeout(() => void this.tick(gen), delayMs);
  }

  private jittered(): number {
    return Math.round(this.intervalMs * (0.9 + Math.random() * 0.2));
  }

  private async tick(gen: number): Promise<void> {
    if (gen !== this.generation) return;
    if (this.running || this.opts.busy()) return this.schedule(gen, this.jittered());
    this.running = true;
    try {
      const seq = ++this.seq;
      const results = await this.opts.runner.run(
        {
          type: "job.run",
          jobId: `watch-${seq}`,
          steps: [...quickProbeSteps(QUICK_PROBE_DEADLINE_MS), ...WATCH_STORAGE_STEPS],
          deadlineMs: QUICK_PROBE_DEADLINE_MS,
        },
        () => {},
        { carry: this.carry },
      );
      // Whether this probe carried the host readings (after a process scan or not) or read them
      // in full: what its CPU depends on.
      this.opts.logger.debug?.("watch probe", { seq, hostReadings: this.carry.last ?? "full" });
      if (gen !== this.generation) return;
      const at = Date.now();
      const hash = createHash("sha256").update(watchComparable(results)).digest("hex").slice(0, 32);
      if (hash !== this.lastHash) {
        if (this.opts.send({ type: "watch.state", seq, at, hash, results })) {
          this.lastHash = hash;
          this.confirmDue = true;
          this.lastSentAt = at;
        }
      } else if (this.confirmDue || at - this.lastSentAt >= this.digestMs - this.intervalMs / 2) {
        if (this.opts.send({ type: "watch.digest", seq, at, hash })) {
          this.confirmDue = false;
          this.lastSentAt = at;
        }
      }
    } catch (err) {
      this.opts.logger.warn("watch probe failed", { err: String(err) });
    } finally {
      this.running = false;
      // The first probe ends the agent's start-up: give back what start-up and the probe left
      // behind, as after a job. Not after every probe: that collection (two full mark-compacts
      // that also drop every function's bytecode, compiled again from source by the next probe)
      // cost more CPU than the probe itself, 55–65 ms of about 100 per probe, for 3–4 MB less
      // resident between probes; without it V8's own collections hold the watching agent flat
      // (docs/benchmarks.md "The watch's CPU per probe").
      if (!this.released) {
        this.released = true;
        releaseMemory();
      }
      this.schedule(gen, this.jittered());
    }
  }
}

/** Reads CLAWOPS_WATCH_INTERVAL_S: undefined when unset; throws on a value that is not a number of seconds. */
export function watchIntervalOverride(env: NodeJS.ProcessEnv): number | undefined {
  return agentSecondsVar(env, WATCH_INTERVAL_ENV, " (0 turns the watch off)");
}
