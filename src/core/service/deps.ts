import type { ChatPort, Clock, HostTransport, Ids, JobRecord, Logger, Store } from "../ports.ts";
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
  /**
   * Where a runtime runs a created triage job instead of in this process (Workers: the
   * host's Durable Object, so the job outlives the request). Unset: `hostQueue` runs it here.
   */
  startTriage?: (job: JobRecord) => Promise<void>;
}
