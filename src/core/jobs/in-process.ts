import type { CoreDeps, HostJob, JobScheduler } from "../deps.ts";
import { HostJobQueue } from "./host-queue.ts";
import { runHostJob } from "./run-host-job.ts";

/** Jobs run in this process, one at a time per host (Node; and inside a Worker's host object). */
export class InProcessJobs implements JobScheduler {
  private readonly queue: HostJobQueue;
  private readonly beforeStart: (() => Promise<void>) | undefined;

  /**
   * `beforeStart` is awaited when a job's turn comes, before any of its work: on Node, a lull in
   * HTTP requests and then one turn of the event loop, so the acks of a burst of commands are
   * written to their sockets before the jobs they queued do anything on the same thread. The job holds its place in the host's queue meanwhile
   * (depth counts it at once).
   */
  constructor(queue: HostJobQueue = new HostJobQueue(), opts: { beforeStart?: () => Promise<void> } = {}) {
    this.queue = queue;
    this.beforeStart = opts.beforeStart;
  }

  depth(host: string): number {
    return this.queue.depth(host);
  }

  start(deps: CoreDeps, job: HostJob): Promise<void> {
    const { beforeStart } = this;
    return this.queue.run(
      job.job.host,
      beforeStart ? () => beforeStart().then(() => runHostJob(deps, job)) : () => runHostJob(deps, job),
    );
  }

  inTurn(host: string, task: () => Promise<void>): Promise<void> {
    return this.queue.run(host, task);
  }
}
