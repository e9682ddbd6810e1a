import type { StepName } from "../../src/contract/catalog.ts";
import { StepResult } from "../../src/contract/catalog.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../../src/core/ports/transport.ts";

/** One scripted probe answer: what the agent sends, and how long after `job.run` it arrives. */
export interface ScriptedResult {
  result: StepResult;
  delayMs?: number;
}

export interface FakeHostScript {
  online?: boolean;
  /** Answers per step. Steps the job asks for but the script lacks never arrive. */
  results?: (StepResult | ScriptedResult)[];
  /** The agent refuses every job (its local policy), like a `job.result` with status rejected. */
  rejectWith?: { code: string; message: string };
  /** The agent's connection drops this long after `job.run`: the job ends `lost`, the host goes offline. */
  loseConnectionAfterMs?: number;
  /** Asked when the last answer is due; the answer (and the job's end) waits until it settles: a
   *  test holds a job mid-way until a watcher has seen it running, whatever the machine's load. */
  beforeLast?: () => Promise<void>;
}

interface HostState {
  online: boolean;
  results: ScriptedResult[];
  rejectWith: { code: string; message: string } | undefined;
  loseConnectionAfterMs: number | undefined;
  beforeLast: (() => Promise<void>) | undefined;
}

interface RunningJob {
  host: string;
  results: StepResult[];
  timers: ReturnType<typeof setTimeout>[];
  finish: (outcome: JobOutcome) => void;
}

/**
 * A HostTransport for tests without a real agent: hosts answer from a script, with per-result
 * delays, so the thread fills in the way it does with a live agent. Timers are plain
 * setTimeout, so vitest fake timers drive it too. Scripts are validated against the wire
 * schema: a fake that sends what no agent could send would test nothing.
 */
export class FakeHostTransport implements HostTransport {
  private readonly hosts = new Map<string, HostState>();
  private readonly running = new Map<string, RunningJob>();
  /** Every job dispatched, in order, for assertions. */
  readonly dispatched: { host: string; job: JobSpec }[] = [];

  addHost(name: string, script: FakeHostScript = {}): this {
    const results = (script.results ?? []).map((r, i) => {
      const scripted = "result" in r ? r : { result: r };
      const parsed = StepResult.safeParse(scripted.result);
      if (!parsed.success) {
        throw new Error(
          `FakeHostTransport: scripted result #${i} for ${name} is not a valid StepResult: ${parsed.error.message}`,
        );
      }
      return { result: parsed.data, delayMs: scripted.delayMs ?? 0 };
    });
    this.hosts.set(name, {
      online: script.online ?? true,
      results,
      rejectWith: script.rejectWith,
      loseConnectionAfterMs: script.loseConnectionAfterMs,
      beforeLast: script.beforeLast,
    });
    return this;
  }

  setOnline(name: string, online: boolean): void {
    const host = this.state(name);
    host.online = online;
    if (!online) this.dropConnection(name, "agent disconnected (close 1006)");
  }

  /** The agent's socket closes now: every job running on it ends `lost` with what arrived. */
  dropConnection(name: string, reason = "agent disconnected (close 1006)"): void {
    this.state(name).online = false;
    for (const [id, job] of this.running) {
      if (job.host !== name) continue;
      this.running.delete(id);
      job.finish({ status: "lost", reason, results: job.results });
    }
  }

  /** Jobs still waiting for results. */
  get runningJobs(): number {
    return this.running.size;
  }

  async isOnline(host: string): Promise<boolean> {
    return this.hosts.get(host)?.online ?? false;
  }

  dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome> {
    this.dispatched.push({ host, job });
    const state = this.hosts.get(host);
    // Same answer as the agent hub for a host with no session.
    if (!state?.online) {
      return Promise.resolve({ status: "lost", reason: "agent not connected", results: [], offline: true });
    }
    if (state.rejectWith) return Promise.resolve({ status: "rejected", error: state.rejectWith });

    const wanted = new Set<StepName>(job.steps.map((s) => s.step));
    const script = state.results.filter((r) => wanted.has(r.result.step));
    return new Promise<JobOutcome>((resolve) => {
      const running: RunningJob = {
        host,
        results: [],
        timers: [],
        finish: (outcome) => {
          for (const t of running.timers) clearTimeout(t);
          resolve(outcome);
        },
      };
      this.running.set(job.jobId, running);
      const end = (outcome: JobOutcome) => {
        if (this.running.get(job.jobId) !== running) return;
        this.running.delete(job.jobId);
        running.finish(outcome);
      };
      for (const { result, delayMs } of script) {
        running.timers.push(
          setTimeout(() => {
            const deliver = () => {
              if (this.running.get(job.jobId) !== running) return;
              running.results.push(result);
              onProgress(result);
              if (running.results.length === script.length) end({ status: "done", results: [...running.results] });
            };
            const last = running.results.length === script.length - 1;
            if (last && state.beforeLast) void state.beforeLast().then(deliver);
            else deliver();
          }, delayMs),
        );
      }
      if (script.length === 0) running.timers.push(setTimeout(() => end({ status: "done", results: [] }), 0));
      running.timers.push(setTimeout(() => end({ status: "timeout", results: [...running.results] }), job.deadlineMs));
      if (state.loseConnectionAfterMs !== undefined) {
        running.timers.push(setTimeout(() => this.dropConnection(host), state.loseConnectionAfterMs));
      }
    });
  }

  private state(name: string): HostState {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`FakeHostTransport: no host ${name}; call addHost first`);
    return host;
  }
}
