import type { StepRequest, StepResult } from "../../contract/catalog.ts";

/** Transport to hosts: the agent hub, AWS SSM, or an in-memory pair in tests. */

export interface JobSpec {
  jobId: string;
  steps: StepRequest[];
  deadlineMs: number;
  /**
   * `false`: the agent sends only its result, no per-step progress (the fleet's quick probe);
   * `onProgress` may then never be called. An older agent streams progress anyway.
   */
  progress?: boolean;
}

export type JobOutcome =
  | { status: "done"; results: StepResult[] }
  /** `offline`: the host had no agent to send the job to (not connected, or not reachable by this transport). */
  | { status: "lost"; reason: string; results: StepResult[]; offline?: true }
  | { status: "timeout"; results: StepResult[] }
  | { status: "rejected"; error: { code: string; message: string } };

export interface HostTransport {
  isOnline(host: string): Promise<boolean>;
  /** Runs a job on the host; `onProgress` sees each step result as it arrives. Never rejects. */
  dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome>;
  /**
   * Closes the host's live agent connection (revoked or removed: the agent must not keep
   * running jobs on a socket opened with a key that is no longer good), failing its pending
   * jobs. True when a connection was closed. Absent: this runtime cannot drop one yet, and
   * `revoke`/`remove` refuse rather than leave a revoked agent connected.
   */
  disconnect?(host: string, reason: string): Promise<boolean>;
}
