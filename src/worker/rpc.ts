import type { StepResult } from "../contract/catalog.ts";
import type { TicketRef } from "../core/ports/bundles.ts";
import type { FleetRow, ProbeTarget } from "../core/ports/fleet.ts";
import type { IncidentActionBook, IncidentBook, IncidentMirrorBook } from "../core/ports/incident-book.ts";
import type { RecoverRun, RecoveryStore } from "../core/ports/recovery.ts";
import type { Store } from "../core/ports/store.ts";
import type { TeamMessageBook } from "../core/ports/team-messages.ts";
import type { TicketBook } from "../core/ports/ticket-book.ts";
import type { JobOutcome, JobSpec } from "../core/ports/transport.ts";
import type { WatchRecord } from "../core/ports/watch-record.ts";

/**
 * What the Worker's Durable Objects and Workflow answer over RPC, as types only: the bindings
 * (env.ts) name these, the classes implement them, and no module has to import a class to
 * call it. This module imports no runtime code, so nothing here can close an import cycle.
 */

/**
 * The directory object (directory.ts): the Store and RecoveryStore ports, one SQLite, one
 * place that answers atomically. Every method is one RPC.
 */
export interface DirectoryRpc
  extends Omit<
      Store,
      | "setHostTags"
      | "getWatch"
      | "putWatch"
      | "listWatch"
      | keyof IncidentBook
      | keyof TicketBook
      | keyof TeamMessageBook
      | keyof IncidentActionBook
      | keyof IncidentMirrorBook
    >,
    IncidentBook,
    TicketBook,
    TeamMessageBook,
    IncidentActionBook,
    IncidentMirrorBook,
    RecoveryStore,
    Rpc.DurableObjectBranded {
  setHostTags(name: string, tags: string[]): Promise<boolean>;
}

/** One host object per enrolled host, named by the host (host-agent.ts). */
export interface HostAgentRpc extends Rpc.DurableObjectBranded {
  /** An agent's WebSocket upgrade, routed here by the Worker with the host in `HOST_HEADER`. */
  fetch(request: Request): Promise<Response>;
  /** Queues a triage or bundle job to run here, after the Slack ack. */
  enqueueJob(jobId: string, run: QueuedRun): Promise<void>;
  /** Claims the host for a recover run: null when claimed, else the id of the run that holds it. */
  claimRecover(runId: string, graceMs: number): Promise<string | null>;
  releaseRecover(runId: string): Promise<void>;
  recoverRunning(graceMs: number): Promise<string | null>;
  /** Runs a job on the connected agent; `onProgress` is a stub of the caller's function. */
  dispatch(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome>;
  /** The same, in turn with this host's queued triage and bundle jobs (recover runs). */
  dispatchInTurn(host: string, job: JobSpec, onProgress: (r: StepResult) => unknown): Promise<JobOutcome>;
  /**
   * Runs a quick probe (`progress: false`) on the connected agent: `dispatch` without a progress
   * callback to pass; an offline host answers `lost` + `offline` at once.
   */
  probe(host: string, job: JobSpec): Promise<JobOutcome>;
  isOnline(): Promise<boolean>;
  status(): Promise<HostAgentStatus>;
}

/** A live fleet fan-out object (fanout-shard.ts), named `fanout-<n>`: quick-probes the hosts it is given. */
export interface FanoutShardRpc extends Rpc.DurableObjectBranded {
  /** `deadlineAt`: when the caller's deadline of `deadlineMs` ends (epoch ms); rows come by then. */
  probe(hosts: ProbeTarget[], deadlineMs: number, deadlineAt: number): Promise<FleetRow[]>;
  /** Whether each host's agent is connected (its object's `isOnline`), in the order given. */
  online(hosts: string[]): Promise<boolean[]>;
}

/** A shard of the fleet's watch states (watch-shard.ts), 16 of them, named `watch-<n>`. */
export interface WatchShardRpc extends Rpc.DurableObjectBranded {
  put(record: WatchRecord): Promise<void>;
  remove(host: string): Promise<void>;
  list(): Promise<string[]>;
}

/** Header the Worker sets when it routes an agent upgrade to a host object; the hello must name the same host. */
export const HOST_HEADER = "x-clawops-host";

/** What a queued job's run needs beyond its record (the job itself is in the directory). */
export type QueuedRun = (
  | {
      kind: "triage";
      /** The origin the command came in on: where a Mattermost button of its answer posts back. */
      publicUrl?: string;
    }
  | {
      kind: "bundle";
      tickets: TicketRef[];
      /** The origin the command came in on: where the bundle's signed link points by default. */
      publicUrl: string;
    }
) & {
  /** The command's Slack `response_url`: where the asker hears that the thread cannot be written. */
  responseUrl?: string | undefined;
};

/** What `status()` reports: enough for an operator (and the tests) to see the object's life. */
export interface HostAgentStatus {
  host: string | null;
  online: boolean;
  connectedAt: number | null;
  /** Changes every time the object is constructed: after hibernation or eviction it is new. */
  instance: string;
  pendingJobs: number;
  /** Triage and bundle jobs queued or running in this object. */
  queuedJobs: number;
  /**
   * The host's watch state here (docs/watch.md): the held health and since when (null until one
   * held), when the agent last reported, and why the state is stale (disconnected, or silent past
   * its digest period: the object's alarm notices). Null when the watch never stored one.
   */
  watch?: {
    healthy: boolean | null;
    since: number | null;
    reportedAt: number;
    stale: { reason: string; at: number } | null;
  } | null;
}

/** What a recover Workflow instance is created with (its id is the run id). */
export interface RecoverParams {
  run: RecoverRun;
  /** The origin the command came in on: where a failed run's bundle link points by default. */
  publicUrl: string;
}
