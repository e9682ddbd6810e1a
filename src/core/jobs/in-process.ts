import type { CoreDeps, HostJob, JobScheduler } from "../ports/deps.ts";
import { type HostJobKinds, runHostJob } from "./kinds.ts";
import { InProcessTurns } from "./turns.ts";

/** Jobs run in this process, one at a time per host (Node; and inside a Worker's host object). */
export class InProcessJobs implements JobScheduler {
  private readonly kinds: HostJobKinds;
  private readonly turns: InProcessTurns;
  private readonly beforeStart: (() => Promise<void>) | undefined;

  /**
   * `kinds`: what runs each kind of job (router/host-jobs.ts). `turns`: the turns to share (a
   * Worker's host object shares its own with its recover runs' jobs). `beforeStart` is awaited when a
   * job's turn comes, before any of its work: on Node, a lull in HTTP requests and then one turn
   * of the event loop, so the acks of a burst of commands are written to their sockets before the
   * jobs they queued do anything on the same thread. The job holds its place in the host's queue
   * meanwhile (depth counts it at once).
   */
  constructor(kinds: HostJobKinds, opts: { turns?: InProcessTurns; beforeStart?: () => Promise<void> } = {}) {
    this.kinds = kinds;
    this.turns = opts.turns ?? new InProcessTurns();
    this.beforeStart = opts.beforeStart;
  }

  depth(host: string): number {
    return this.turns.depth(host);
  }

  start(deps: CoreDeps, job: HostJob): Promise<void> {
    const { beforeStart, kinds } = this;
    const run = () => runHostJob(kinds, deps, job);
    return this.turns.inTurn(job.job.host, beforeStart ? () => beforeStart().then(run) : run);
  }

  inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.turns.inTurn(key, task);
  }
}
