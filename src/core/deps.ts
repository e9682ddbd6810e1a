import type { BundleServices } from "./bundles/services.ts";
import type { TicketRef } from "./bundles/tickets.ts";
import type { HostJobQueue } from "./jobs/host-queue.ts";
import type { ChatPort, Clock, HostTransport, Ids, JobRecord, Logger, Store } from "./ports.ts";
import type { RecoveryDeps } from "./recovery/types.ts";

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
  /** Why `bundles` is absent, in words an operator can act on (e.g. the secret to set). */
  bundlesUnavailable?: string;
  /** Freezes, authorization and the audit log (recovery runbook). Absent: those commands say so. */
  recovery?: RecoveryDeps;
  /**
   * Where a runtime runs a created triage or bundle job instead of in this process (Workers:
   * the host's Durable Object, so the job outlives the request). Unset: `hostQueue` runs it here.
   */
  startJob?: (start: StartJob) => Promise<void>;
  /**
   * The slash command's name when it is not `/openclaw` (CLAWOPS_COMMAND): acks show it; the
   * runtime's chat shows it too (core/messages/command-name.ts).
   */
  commandName?: string;
}

/** A created job handed to `startJob`, with what its run needs beyond the job record. */
export type StartJob = (
  | { kind: "triage"; job: JobRecord }
  | { kind: "bundle"; job: JobRecord; tickets: TicketRef[] }
) & {
  /** The command's reply address (Slack `response_url`): told when the thread cannot be written. */
  responseUrl?: string;
};
