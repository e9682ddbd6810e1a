import type { StepResult } from "../../contract/catalog.ts";
import type { Claims } from "./claims.ts";
import type { IncidentActionBook, IncidentBook, IncidentMirrorBook } from "./incident-book.ts";
import type { TeamMessageBook } from "./team-messages.ts";
import type { TicketBook } from "./ticket-book.ts";
import type { WatchRecord } from "./watch-record.ts";

/** State: hosts, incident threads, jobs, claims and the watch, behind one port. */

export interface HostRecord {
  name: string;
  /** Raw Ed25519 public key, base64url. The control plane never holds a private key. */
  publicKey: string;
  enrolledAt: number;
  revokedAt: number | null;
  agentVersion: string | null;
  gatewayVersion: string | null;
  lastSeenAt: number | null;
  /** Free-form labels for `/openclaw status tag:<t>`; absent means none. */
  tags?: string[];
}

/**
 * A host's incident thread in one channel (docs/architecture.md: "the incident thread"): where
 * its incidents are told in chat, one per host and channel until its incident is resolved. The
 * incident itself, as a record, is incident-book.ts `Incident`.
 */
export interface IncidentThread {
  id: string;
  channel: string;
  host: string;
  /** ts of the thread's parent message. */
  threadTs: string;
  openedAt: number;
}

export type JobStatus = "running" | "done" | "lost" | "timeout" | "rejected";

export interface JobRecord {
  id: string;
  host: string;
  kind: "triage" | "bundle";
  status: JobStatus;
  /** Idempotency key of the request that created the job (Slack trigger_id). */
  requestKey: string;
  channel: string;
  user: string;
  threadTs: string | null;
  progressTs: string | null;
  /** ts of the result message (matrix + findings) once posted. */
  resultTs: string | null;
  createdAt: number;
  finishedAt: number | null;
  results: StepResult[];
  /** Why a job ended without all results (lost/timeout/rejected). */
  detail: string | null;
}

export type JobPatch = Partial<
  Pick<JobRecord, "status" | "threadTs" | "progressTs" | "resultTs" | "finishedAt" | "detail">
>;

/**
 * The control plane's state. Every store keeps, beside the hosts, the incident threads and the
 * jobs, the incident records (incident-book.ts: the incidents, their timelines, snoozes, the
 * outbox and the signals' fates, and their follow-up actions), their tickets (ticket-book.ts)
 * the team's messages (team-messages.ts) and the incident's mirror threads on other chats
 * (incident-mirrors.ts): SQLite on Node, the directory Durable Object's
 * SQLite on Workers. Core calls them without testing for them.
 */
/**
 * The store's claims (claims.ts) are the deployment's "once": a command's request identity (Slack
 * retries and replays), an alert's fingerprint, a digest's moment, a webhook's event id.
 */
export interface Store
  extends Claims,
    IncidentBook,
    IncidentActionBook,
    TicketBook,
    TeamMessageBook,
    IncidentMirrorBook {
  getHost(name: string): Promise<HostRecord | null>;
  listHosts(): Promise<HostRecord[]>;
  /** Inserts a host; returns false if the name is taken (and not revoked). */
  insertHost(host: HostRecord): Promise<boolean>;
  recordHostSeen(
    name: string,
    seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null },
  ): Promise<void>;
  revokeHost(name: string, at: number): Promise<boolean>;
  /**
   * Deletes a host's record, so its name can be enrolled again and its key matches nothing;
   * false if no such host. Optional: a store without it cannot `/openclaw remove`.
   */
  deleteHost?(name: string): Promise<boolean>;
  /** Replaces a host's tags; false if no such host. Optional: a store without it has no tags. */
  setHostTags?(name: string, tags: string[]): Promise<boolean>;

  /** Stores only the hash of a one-time enrollment code. */
  insertEnrollmentCode(code: { codeHash: string; host: string; expiresAt: number; createdAt: number }): Promise<void>;
  /** Atomically marks the code used; null if unknown, used or expired. */
  consumeEnrollmentCode(codeHash: string, now: number): Promise<{ host: string } | null>;

  /**
   * Optional group commit (Node's SQLite): opens a write batch, if none is open, that every
   * write joins until it commits, one turn of the event loop later, so the commands answered
   * in one turn share one commit. `flushed` resolves once everything written so far is
   * committed (at once when no batch is open) and rejects if that commit failed (then it was
   * rolled back): a command's ack waits for it, so what it acks survives a restart.
   */
  beginBatch?(): void;
  flushed?(): Promise<void>;

  findIncident(channel: string, host: string): Promise<IncidentThread | null>;
  insertIncident(incident: IncidentThread): Promise<void>;
  /**
   * Drops the host's thread in `channel` if it is still `threadTs` (its incident was resolved),
   * so the host's next incident opens a thread of its own.
   */
  forgetIncidentThread(channel: string, host: string, threadTs: string): Promise<void>;

  /** Creates the job unless one with the same requestKey exists; returns the stored job either way. */
  createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }>;
  getJob(id: string): Promise<JobRecord | null>;
  updateJob(id: string, patch: JobPatch): Promise<void>;
  appendJobResult(id: string, result: StepResult): Promise<void>;
  listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]>;

  /**
   * The watch (docs/watch.md): a host's last watched state. Optional: on Workers the Worker's
   * store (DirectoryStore) keeps none, a host object's store keeps its own host's (HostWatchStore),
   * and the fleet's are read from the watch shards (FleetWatchStore); a store without them keeps none.
   */
  getWatch?(host: string): Promise<WatchRecord | null>;
  putWatch?(record: WatchRecord): Promise<void>;
  /** Every stored watch state (`/openclaw status` answers from them). */
  listWatch?(): Promise<WatchRecord[]>;
}
