import type { ChatPort, Clock, HostTransport, Ids, JobRecord, Logger, Store } from "../ports.ts";
import type { RecoveryDeps } from "../recovery/service.ts";
import type { BundleServices } from "./bundle.ts";
import type { HostJobQueue } from "./host-queue.ts";

/** Everything the core services need, passed in by each runtime's wiring file. */
export interface CoreDeps {
  store: Store;
  transport: HostTransport;
  chat: ChatPort;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** One job at a time per host; shared by every CoreDeps of one control plane. */
  hostQueue: HostJobQueue;
  /** Repro bundles: blob store, link signer, ticket config. Absent: `/openclaw bundle` says so. */
  bundles?: BundleServices;
  /** Freezes, authorization and the audit log (recovery runbook). Absent: those commands say so. */
  recovery?: RecoveryDeps;
  /**
   * Where a runtime runs a created triage job instead of in this process (Workers: the
   * host's Durable Object, so the job outlives the request). Unset: `hostQueue` runs it here.
   */
  startTriage?: (job: JobRecord) => Promise<void>;
}
