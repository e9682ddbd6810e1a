import type { HostTransport, JobOutcome, JobSpec } from "../core/ports.ts";
import type { StepResult } from "../core/probes/catalog.ts";
import type { HostAgent } from "./host-agent.ts";

/** The Workers HostTransport: each host's agent socket lives in its own HostAgent object. */
export class DurableObjectHostTransport implements HostTransport {
  private readonly hosts: DurableObjectNamespace<HostAgent>;

  constructor(hosts: DurableObjectNamespace<HostAgent>) {
    this.hosts = hosts;
  }

  async isOnline(host: string): Promise<boolean> {
    return this.stub(host).isOnline();
  }

  async dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome> {
    try {
      // The callback travels as an RPC stub: the host object calls back for every step.
      return (await this.stub(host).dispatch(job, (r: StepResult) => onProgress(r))) as JobOutcome;
    } catch (err) {
      // The object was reset or unreachable mid-job: the job cannot finish.
      return { status: "lost", reason: `host object failed: ${String(err)}`, results: [] };
    }
  }

  private stub(host: string) {
    return this.hosts.get(this.hosts.idFromName(host));
  }
}
