/**
 * State of the recovery runbook: freezes (one per host, or `all`) and the append-only
 * audit log. A port of its own so the job/host Store stays as it is; each runtime gives
 * one implementation (memory: src/core/recovery/memory-store.ts, SQLite:
 * src/node/recovery-store.ts).
 */

/** Where a freeze notice was posted, so the all-clear and the expiry notice go there too. */
export interface NoticeRef {
  channel: string;
  threadTs: string | null;
}

export interface FreezeRecord {
  /** A host name, or `all` for the whole fleet. */
  target: string;
  /** Slack user id, or `console` for the local operator. */
  owner: string;
  reason: string;
  source: "slack" | "console" | "system";
  createdAt: number;
  expiresAt: number;
  /** Channel the freeze was asked for in (the incident thread lives there). */
  channel: string;
  notices: NoticeRef[];
}

export type AuditOutcome = "ok" | "refused" | "error" | "info";

/** One line of the audit log. Never updated or deleted once written. */
export interface AuditEntry {
  seq: number;
  at: number;
  /** Slack user id, `console`, `system` (timers) or `agent:<host>`. */
  actor: string;
  source: "slack" | "console" | "system" | "agent";
  /** e.g. `command`, `freeze`, `unfreeze`, `freeze.expired`, `approval`, `step`. */
  action: string;
  host: string | null;
  outcome: AuditOutcome;
  /** Human-readable; never a secret (callers pass redacted text). */
  detail: string;
  /** A job, approval or request id this entry belongs to. */
  ref: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, "seq">;

export interface AuditQuery {
  host?: string;
  /** Entries with seq greater than this (export paging). */
  afterSeq?: number;
  limit?: number;
  /** `asc` (oldest first, the export order) or `desc` (newest first, for summaries). */
  order?: "asc" | "desc";
}

/** A confirmation button waiting for an allowed user: one host, one exact step, one use, an expiry. */
export interface ConfirmationRecord {
  /** Random, unguessable; the button's value. */
  id: string;
  host: string;
  /** The exact step the approval will name (e.g. `gateway.restart`). */
  step: string;
  /** The authorization action an approver needs (e.g. `restart`). */
  action: string;
  job: string;
  requestedBy: string;
  channel: string;
  threadTs: string | null;
  messageTs: string | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decision: "approve" | "cancel" | null;
}

export interface RecoveryStore {
  insertConfirmation(c: ConfirmationRecord): Promise<void>;
  getConfirmation(id: string): Promise<ConfirmationRecord | null>;
  setConfirmationMessage(id: string, messageTs: string): Promise<void>;
  /** Atomically records the decision if the confirmation is undecided and unexpired; false otherwise. */
  decideConfirmation(id: string, d: { at: number; by: string; decision: "approve" | "cancel" }): Promise<boolean>;

  /** Inserts or replaces the freeze of `target`. */
  putFreeze(freeze: FreezeRecord): Promise<void>;
  getFreeze(target: string): Promise<FreezeRecord | null>;
  listFreezes(): Promise<FreezeRecord[]>;
  /** Records where the notices of this very freeze (same createdAt) went. */
  setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void>;
  /**
   * Removes the freeze atomically and returns it; with `createdAt`, only that very freeze
   * (so an expiry sweep never removes a freeze placed again meanwhile). Null if nothing removed.
   */
  removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
