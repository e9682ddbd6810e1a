import type { KnownIssueCatalog } from "../known-issues/schema.ts";
import type { Clock, Ids, Logger } from "./basics.ts";
import type { BundleServices, TicketRef } from "./bundles.ts";
import type { ChatPort } from "./chat.ts";
import type { FleetFanout } from "./fleet.ts";
import type { GroupingPolicy, Incident, IncidentBook, OutboxItem, Severity } from "./incident-book.ts";
import type { Metrics } from "./metrics.ts";
import type { PagerDutyServices } from "./pagerduty.ts";
import type { PagingServices } from "./paging.ts";
import type { RecoveryDeps } from "./recovery.ts";
import type { JobRecord, Store } from "./store.ts";
import type { HostTransport } from "./transport.ts";
import type { Turns } from "./turns.ts";

/**
 * A capability a runtime may lack: on with what it needs, or off with why, in words an
 * operator can act on (e.g. the secret to set).
 */
export type Capability<T> = { on: true; use: T } | { on: false; why: string };
export const capabilityOn = <T>(use: T): Capability<T> => ({ on: true, use });
export const capabilityOff = (why: string): Capability<never> => ({ on: false, why });

/** Everything the core services need, passed in by each runtime's wiring file. */
export interface CoreDeps {
  store: Store;
  transport: HostTransport;
  chat: ChatPort;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** Where host jobs run, one at a time per host; shared by every CoreDeps of one control plane. */
  jobs: JobScheduler;
  /** Repro bundles: blob store, link signer, ticket config. Off: `/openclaw bundle` says why. */
  bundles: Capability<BundleServices>;
  /** Freezes, authorization, confirmations and the audit log: every runtime wires them. */
  recovery: RecoveryDeps;
  /**
   * The control plane's URL as hosts reach it (Node: CLAWOPS_PUBLIC_URL, else where it listens),
   * for the install command `enroll <host>` prints. Absent: the reply gives the agent's own command.
   */
  publicUrl?: () => string;
  /**
   * The slash command's name when it is not `/openclaw` (CLAWOPS_COMMAND): acks show it; the
   * runtime's chat shows it too (core/messages/command-name.ts).
   */
  commandName?: string;
  /** Where incidents nobody typed go (watch, alerts, automatic freezes). Absent: nowhere, logged. */
  incidents?: IncidentRouting;
  /**
   * Fleet grouping (CLAWOPS_FLEET_GROUPING): how many hosts failing together with one cause make
   * one fleet incident. Absent: the defaults (3 hosts or 20 % of a tag within 2 min); false: off.
   */
  grouping?: GroupingPolicy | false;
  /**
   * The watch's probe interval and digest period (docs/watch.md): `/openclaw status` answers
   * from the stored watch state when set with an interval above 0. Absent: it probes live.
   */
  watch?: { intervalMs: number; digestMs: number };
  /** Counters and histograms (core/metrics.ts). Absent: nothing is counted (Workers, most tests). */
  metrics?: Metrics;
  /**
   * The live fleet fan-out (`status … --live`) in the runtime's own shape (Workers: fan-out
   * objects, fleet/row.ts). Absent: the caller calls every host itself.
   */
  fleetFanout?: FleetFanout;
  /**
   * The agent this control plane serves to its hosts (`GET /agent/clawops-agent.mjs`): its version
   * and SHA-256, for `/openclaw upgrade-agent` (core/fleet/upgrade.ts). Absent: upgrades refused.
   */
  agentRelease?: () => Promise<AgentRelease>;
  /**
   * PagerDuty's REST API, for incidents raised by a PagerDuty alert: a triage's summary as a
   * note, and (opt-in) their resolve (tickets/pagerduty.ts). Absent: nothing is written back.
   */
  pagerduty?: PagerDutyServices;
  /**
   * The team's pagers and the paging policy (core/paging, docs/paging.md): incidents that page
   * are queued in the outbox and delivered after the record is written. Absent: nobody is paged.
   */
  paging?: PagingServices;
  /**
   * Tickets both ways (issue 41, item 4): a resolve's comment, transition or close queued for the
   * incident's Jira and GitHub tickets and delivered by the outbox (core/tickets/write-back.ts).
   * Absent: nothing is written back.
   */
  ticketWriteBack?: TicketWriteBack;
  /** The weekly incident digest (CLAWOPS_DIGEST_CHANNEL, incidents/report.ts); absent: none. */
  digest?: { channel: string; weekday: number; hourUtc: number };
  /** The expiry radar's weekly post and pages (CLAWOPS_EXPIRIES_*, expiries/radar.ts); absent: neither. */
  expiries?: { channel?: string; weekday: number; hourUtc: number; pageDays?: number };
  /**
   * The known-issue catalog (core/known-issues): the shipped one plus the operator's file on Node
   * (CLAWOPS_KNOWN_ISSUES_FILE). Absent: the shipped one.
   */
  knownIssues?: KnownIssueCatalog;
  /**
   * Incident channels (issue 41, item 2; CLAWOPS_INCIDENT_CHANNEL_*, incidents/channel.ts): when
   * an incident gets a channel of its own. Absent: off, incidents live in their threads.
   */
  incidentChannels?: IncidentChannelSettings;
}

/** `off`: none; `manual`: the header's button and `incident <id> channel`; `auto`: those too, and by policy. */
export type ChannelPolicyMode = "off" | "manual" | "auto";
export type ChannelTrigger = Severity | "fleet";

export interface IncidentChannelSettings {
  mode: ChannelPolicyMode;
  /** `auto`: the severities (each one named, not "and worse") and `fleet` that open one at once. */
  triggers: readonly ChannelTrigger[];
  /** CLAWOPS_INCIDENT_CHANNEL_NAME: placeholders <yyyymmdd>, <host>, <sev>, <id>. */
  nameTemplate: string;
  /** CLAWOPS_INCIDENT_CHANNEL_PRIVATE: a private channel (Slack scope groups:write). */
  isPrivate: boolean;
  /** CLAWOPS_INCIDENT_CHANNEL_ARCHIVE: resolving the incident archives its channel. */
  archive: boolean;
}

/** The agent a control plane serves: what `upgrade-agent` asks hosts to move to. */
export interface AgentRelease {
  version: string;
  /** Lowercase hex SHA-256 of the file served. */
  sha256: string;
}

/** A created triage or bundle job, with what its run needs beyond the job record. */
export type HostJob = (
  | { kind: "triage"; job: JobRecord }
  | {
      kind: "bundle";
      job: JobRecord;
      tickets: TicketRef[];
      /** The Slack workspace the command came from: selects its own ticket systems. */
      workspace?: string;
    }
) & {
  /** The command's reply address (Slack `response_url`): told when the thread cannot be written. */
  responseUrl?: string;
};

/**
 * Where a host's jobs run, one at a time per host: the one scheduling seam. Concurrent jobs on
 * one gateway would probe it in parallel, and during token drift each failed auth doubles the
 * gateway's penalty (GATEWAY-FACTS §4.3). Node runs them in this process (InProcessJobs);
 * Workers hand triage and bundle jobs to the host's Durable Object, so they outlive the request.
 * Its turns (turns.ts) are this process's: a host's name for its jobs, a key with `:` for other
 * work done one at a time (an incident thread's opening, the storm guard's decisions).
 */
export interface JobScheduler extends Turns {
  /** Jobs ahead of a new one on `host` (running + waiting); 0 where only the host's object knows. */
  depth(host: string): number;
  /** Runs a created triage or bundle job in its host's turn; resolves once it ran, or was handed over. */
  start(deps: CoreDeps, job: HostJob): Promise<void>;
}

/**
 * Where incidents nobody typed go (a watch transition, an alert, an automatic freeze): the
 * first rule that matches the host, else the default channel. Commands keep answering in the
 * channel they were typed in.
 */
export interface IncidentRouting {
  /** CLAWOPS_INCIDENT_CHANNEL; on Node without Slack, the local console. Absent: nowhere (logged). */
  defaultChannel?: string;
  /** CLAWOPS_HOST_CHANNELS, in order: a host glob (`node-*`) or `tag:<tag>` → a channel id. */
  rules: readonly { match: string; channel: string }[];
  /**
   * CLAWOPS_INCIDENT_MIRRORS (issue 43, item 5; incidents/mirrors.ts): channels on other chats
   * (`discord:…`, `mattermost:…`) where each incident of `defaultChannel` is announced too, in a
   * thread of its own there, without buttons. Absent or empty: none.
   */
  mirrors?: readonly string[];
}

/**
 * Tickets both ways (issue 41, item 4): what a resolve writes back to the incident's tickets
 * (a Jira comment and, with JIRA_RESOLVE_TRANSITION, a transition; a GitHub comment and close),
 * queued in the incident outbox and delivered by its drain (core/tickets/write-back.ts). A port,
 * so the incident plumbing that queues and drains never imports the ticket workflows above it.
 */
export interface TicketWriteBack {
  /** Queues the resolve's write-back to each open ticket linked to the incident; never throws. */
  queueResolve(deps: CoreDeps, incident: Incident, actor: string): Promise<void>;
  /** Whether an outbox item is one of these (its kind starts with `ticket:`). */
  owns(item: OutboxItem): boolean;
  /** Delivers one queued item: sent, retried later with backoff, or given up (said once). */
  deliver(deps: CoreDeps, book: IncidentBook, item: OutboxItem): Promise<"sent" | "retrying" | "failed">;
}
