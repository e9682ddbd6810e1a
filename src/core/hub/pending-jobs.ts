import type { JobResultFrame } from "../../contract/agent-wire.ts";
import type { StepResult } from "../../contract/catalog.ts";
import type { JobOutcome } from "../ports/transport.ts";
import { outcomeOf } from "./protocol.ts";

interface Pending {
  host: string;
  results: StepResult[];
  onProgress: (r: StepResult) => void;
  resolve: (outcome: JobOutcome) => void;
  /** Cancels the caller's deadline timer. */
  cancel: () => void;
  /** Sent with `progress: false`: an agent that honours it sends no progress and wants no ack. */
  quiet?: boolean;
}

/**
 * Jobs sent to agents and not yet answered. Every job ends exactly once: result, deadline,
 * or its host's socket closing. Progress and results for jobs no longer here are ignored.
 */
export class PendingJobs {
  private readonly jobs = new Map<string, Pending>();

  add(jobId: string, entry: Omit<Pending, "results">): void {
    this.jobs.set(jobId, { ...entry, results: [] });
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Records a streamed step result; false if the job is not pending for this host. */
  progress(host: string, jobId: string, result: StepResult): boolean {
    const p = this.jobs.get(jobId);
    if (!p || p.host !== host) return false;
    p.results.push(result);
    p.onProgress(result);
    return true;
  }

  /**
   * Ends a job with the agent's result: `quiet` when it was sent with `progress: false` and no
   * progress came (an agent that honours the flag: it keeps no copy, so no ack), `other` when
   * the result answers a job that was not pending for this host.
   */
  result(host: string, frame: JobResultFrame): "acked" | "quiet" | "other" {
    const p = this.jobs.get(frame.jobId);
    if (!p || p.host !== host) return "other";
    this.finish(frame.jobId, p, outcomeOf(frame));
    return p.quiet && p.results.length === 0 ? "quiet" : "acked";
  }

  /** Ends a job whose deadline passed, with what streamed in. Returns how many results had arrived. */
  timeout(jobId: string): number | null {
    const p = this.jobs.get(jobId);
    if (!p) return null;
    this.finish(jobId, p, { status: "timeout", results: p.results });
    return p.results.length;
  }

  /** Fails every pending job of a host as `lost`: its socket is gone. */
  failHost(host: string, reason: string): number {
    let n = 0;
    for (const [id, p] of this.jobs) {
      if (p.host !== host) continue;
      this.finish(id, p, { status: "lost", reason, results: p.results });
      n++;
    }
    return n;
  }

  private finish(jobId: string, p: Pending, outcome: JobOutcome): void {
    p.cancel();
    this.jobs.delete(jobId);
    p.resolve(outcome);
  }
}
