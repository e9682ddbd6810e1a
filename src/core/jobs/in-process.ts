import type { CoreDeps, HostJob, JobScheduler } from "../deps.ts";
import { HostJobQueue } from "./host-queue.ts";
import { runHostJob } from "./run-host-job.ts";

/** Jobs run in this process, one at a time per host (Node; and inside a Worker's host object). */
export class InProcessJobs implements JobScheduler {
  private readonly queue: HostJobQueue;

  constructor(queue: HostJobQueue = new HostJobQueue()) {
    this.queue = queue;
  }

  depth(host: string): number {
    return this.queue.depth(host);
  }

  start(deps: CoreDeps, job: HostJob): Promise<void> {
    return this.queue.run(job.job.host, () => runHostJob(deps, job));
  }

  inTurn(host: string, task: () => Promise<void>): Promise<void> {
    return this.queue.run(host, task);
  }
}
