import type { StepRequest, StepResult } from "../contract/catalog.ts";
import type { Message } from "./messages/model.ts";
import type { WatchRecord } from "./watch/state.ts";

/**
 * The interfaces the core depends on. Implementations live at the edge, one wiring file per
 * runtime (src/node/main.ts, src/worker/index.ts); tests use the in-memory ones.
 */

export interface Clock {
  now(): number;
}

export interface Ids {
  /** A unique, URL-safe id with a readable prefix, e.g. `job_…`. */
  id(prefix: string): string;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;
export interface Logger {
  /** Written only with LOG_LEVEL=debug; absent on loggers that never write it. */
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

// ---------------------------------------------------------------------------------------
// State

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

export interface IncidentRecord {
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

export interface Store {
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
   * Records a command's request identity (Slack: workspace and trigger_id); false when it was
   * recorded already, so a retried or replayed request does nothing twice. Identities older
   * than `forgetBefore` may be dropped: Slack refuses requests signed more than 5 min ago.
   */
  claimRequest(key: string, at: number, forgetBefore: number): Promise<boolean>;
  /**
   * Optional group commit (Node's SQLite): opens a write batch, if none is open, that every
   * write joins until it commits, one turn of the event loop later, so the commands answered
   * in one turn share one commit. `flushed` resolves once everything written so far is
   * committed (at once when no batch is open) and rejects if that commit failed (then it was
   * rolled back): a command's ack waits for it, so what it acks survives a restart.
   */
  beginBatch?(): void;
  flushed?(): Promise<void>;
  /**
   * Claims `key` until `until` (ms): false while an earlier claim of it has not expired. Unlike
   * claimRequest each claim keeps its own expiry (a firing alert's fingerprint for days, a host's
   * alert-triage slot for minutes); expired claims may be dropped by any call.
   */
  claimUntil(key: string, now: number, until: number): Promise<boolean>;
  /**
   * Drops the claim of `key` made until `until` (its work failed, so a repeat may try again);
   * a later claim of the same key (another `until`) is left.
   */
  releaseClaim(key: string, until: number): Promise<void>;

  findIncident(channel: string, host: string): Promise<IncidentRecord | null>;
  insertIncident(incident: IncidentRecord): Promise<void>;

  /** Creates the job unless one with the same requestKey exists; returns the stored job either way. */
  createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }>;
  getJob(id: string): Promise<JobRecord | null>;
  updateJob(id: string, patch: JobPatch): Promise<void>;
  appendJobResult(id: string, result: StepResult): Promise<void>;
  listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]>;

  /** The watch (docs/watch.md): a host's last watched state. Absent: this store keeps none. */
  getWatch?(host: string): Promise<WatchRecord | null>;
  putWatch?(record: WatchRecord): Promise<void>;
  /** Every stored watch state (`/openclaw status` answers from them). */
  listWatch?(): Promise<WatchRecord[]>;
}

// ---------------------------------------------------------------------------------------
// Transport to hosts

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

// ---------------------------------------------------------------------------------------
// Chat (Slack Web API, or the local console)

/** A neutral message (src/core/messages/model.ts) and where it goes; each chat renders it. */
export interface ChatMessage extends Message {
  channel: string;
  /** Reply in this thread. */
  threadTs?: string;
}

export interface ChatPort {
  postMessage(message: ChatMessage): Promise<{ ts: string }>;
  updateMessage(message: ChatMessage & { ts: string }): Promise<void>;
  /** Uploads a file into a thread (Slack's external upload flow). Absent: the chat takes links only. */
  uploadFile?(file: ChatFileUpload): Promise<{ fileId: string }>;
  /**
   * Tells the person who ran a command something only they see, through the command's reply
   * address (Slack: its `response_url`), for when the channel itself cannot be written.
   * Absent: the chat has no such address (the console shows everything to its user anyway).
   */
  respondEphemeral?(responseUrl: string, message: Message): Promise<void>;
}

export interface ChatFileUpload {
  channel: string;
  threadTs: string;
  filename: string;
  title: string;
  bytes: Uint8Array;
  initialComment: string;
}

// ---------------------------------------------------------------------------------------
// Blobs (repro bundles): disk on Node, R2 on Workers

export interface BlobMeta {
  key: string;
  size: number;
  contentType: string;
  createdAt: number;
  /** After this the blob is deleted by `cleanup` and its links stop working. */
  expiresAt: number;
}

export interface BlobStore {
  put(
    key: string,
    bytes: Uint8Array,
    meta: { contentType: string; createdAt: number; expiresAt: number },
  ): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; meta: BlobMeta } | null>;
  /** Deletes every blob whose retention has passed; returns how many. */
  cleanup(now: number): Promise<number>;
}
