import type { StepResult } from "../contract/catalog.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../core/ports/transport.ts";
import type { HostAgentRpc } from "./rpc.ts";

/** The Workers HostTransport: each host's agent socket lives in its own HostAgent object. */
export class DurableObjectHostTransport implements HostTransport {
  private readonly hosts: DurableObjectNamespace<HostAgentRpc>;
  private readonly inTurn: boolean;

  /** `inTurn`: each job waits in the host's object behind its queued triage and bundle jobs. */
  constructor(hosts: DurableObjectNamespace<HostAgentRpc>, opts: { inTurn?: boolean } = {}) {
    this.hosts = hosts;
    this.inTurn = opts.inTurn ?? false;
  }

  async isOnline(host: string): Promise<boolean> {
    return this.stub(host).isOnline();
  }

  async dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome> {
    try {
      const stub = this.stub(host);
      // A quick probe answers in one frame: no callback to pass.
      if (job.progress === false && !this.inTurn) return (await stub.probe(host, job)) as JobOutcome;
      // The callback travels as an RPC stub: the host object calls back for every step.
      const progress = (r: StepResult) => onProgress(r);
      return (await (this.inTurn
        ? stub.dispatchInTurn(host, job, progress)
        : stub.dispatch(host, job, progress))) as JobOutcome;
    } catch (err) {
      // The object was reset or unreachable mid-job: the job cannot finish.
      return { status: "lost", reason: `host object failed: ${String(err)}`, results: [] };
    }
  }

  private stub(host: string) {
    return this.hosts.get(this.hosts.idFromName(host));
  }
}
