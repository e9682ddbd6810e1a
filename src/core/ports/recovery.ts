import type { ApprovalKeyPair } from "../../contract/approval.ts";
import type { Actor, Authorizer } from "../authz/authz.ts";
/**
 * State of the recovery runbook: freezes (one per host, or `all`) and the append-only
 * audit log. A port of its own so the job/host Store stays as it is; each runtime gives
 * one implementation (memory: test/support/memory-recovery-store.ts, SQLite:
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
  source: "slack" | "console" | "discord" | "mattermost" | "teams" | "system";
  createdAt: number;
  expiresAt: number;
  /** Channel the freeze was asked for in (the incident thread lives there). */
  channel: string;
  notices: NoticeRef[];
  /** Set on a freeze the freeze policy placed (owner AUTO_FREEZE_OWNER): what lifts it. */
  auto?: AutoFreeze;
  /**
   * A maintenance freeze (its reason begins with "maintenance", or a scheduled one): it mutes
   * the watch's and alerts' incidents for its hosts, counts what it muted, and at its end a
   * triage is compared with the one before it began (freezes/maintenance.ts).
   */
  maintenance?: boolean;
  /** What a maintenance freeze muted so far. */
  muted?: MutedCounts;
}

/** What a maintenance freeze muted, by kind of signal. */
export interface MutedCounts {
  alerts: number;
  watch: number;
  silences: number;
}

/** The freeze policy's part of an automatic freeze: why it was placed and what lifts it. */
export interface AutoFreeze {
  /** The policy rule's name. */
  rule: string;
  /** The finding rule ids that matched. */
  findings: string[];
  /** Lifted once the host has been healthy this long. */
  liftAfterMs: number;
  /** It ends here at the latest (the rule's duration cap, or later once an incident lead extends it). */
  capAt: number;
  /** When the host's current healthy state began; null while it fails. */
  healthySince: number | null;
  /** An incident lead's extension: not lifted before this, healthy or not. */
  holdUntil: number | null;
}

/** Where a scheduled maintenance freeze is: announced when set, then warned, then started (its row goes at the end). */
export type ScheduledFreezeStage = "scheduled" | "warned" | "started";

/** `/openclaw freeze <host|all> at 14:00 for 30m <reason>`: a freeze that starts later. */
export interface ScheduledFreeze {
  id: string;
  target: string;
  owner: string;
  reason: string;
  source: "slack" | "console" | "discord" | "mattermost" | "teams";
  /** Channel it was asked for in: its announcements go there (and to the announcement channels). */
  channel: string;
  createdAt: number;
  startsAt: number;
  endsAt: number;
  stage: ScheduledFreezeStage;
}

export type AuditOutcome = "ok" | "refused" | "error" | "info";

/** One line of the audit log. Never updated or deleted once written. */
export interface AuditEntry {
  seq: number;
  at: number;
  /** Slack user id, `console`, `system` (timers) or `agent:<host>`. */
  actor: string;
  source: "slack" | "console" | "discord" | "mattermost" | "teams" | "system" | "agent";
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
  /** Whether it offered "approve once drained" (an approval that lives longer). */
  offersDrain: boolean;
}

export interface RecoveryStore {
  insertConfirmation(c: ConfirmationRecord): Promise<void>;
  getConfirmation(id: string): Promise<ConfirmationRecord | null>;
  setConfirmationMessage(id: string, messageTs: string): Promise<void>;
  /** Atomically records the decision if the confirmation is undecided and unexpired; false otherwise. */
  decideConfirmation(id: string, d: { at: number; by: string; decision: "approve" | "cancel" }): Promise<boolean>;

  /** Inserts or replaces the freeze of `target`. */
  putFreeze(freeze: FreezeRecord): Promise<void>;
  /**
   * The freeze policy's write, atomic in the store: inserts or replaces the freeze of its target
   * only when there is none, the one there has expired by `now`, or it is an automatic freeze
   * itself (same owner, `auto` set). A person's (or a schedule's, or a runbook's) freeze in force
   * is never replaced, even one placed between the policy's read and this write. True if written.
   */
  putAutoFreeze(freeze: FreezeRecord & { auto: AutoFreeze }, now: number): Promise<boolean>;
  getFreeze(target: string): Promise<FreezeRecord | null>;
  listFreezes(): Promise<FreezeRecord[]>;
  /** Adds to what this very freeze (same createdAt) muted; atomic, so signals muted at once all count. */
  countMuted(target: string, createdAt: number, kind: keyof MutedCounts, n: number): Promise<void>;
  /** Records where the notices of this very freeze (same createdAt) went. */
  setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void>;
  /**
   * Removes the freeze atomically and returns it; with `createdAt`, only that very freeze
   * (so an expiry sweep never removes a freeze placed again meanwhile). Null if nothing removed.
   */
  removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null>;

  /** Stores a scheduled maintenance freeze (a new id). */
  putScheduledFreeze(s: ScheduledFreeze): Promise<void>;
  /** Every scheduled freeze not yet ended, soonest first. */
  listScheduledFreezes(): Promise<ScheduledFreeze[]>;
  /**
   * Moves it from one of `from` to `to` atomically (`to` null: removes it) and returns it (the
   * removed row when `to` is null); null when it is not at one of `from` (another sweep or a
   * cancel got there first), so each stage's announcement is claimed once.
   */
  advanceScheduledFreeze(
    id: string,
    from: readonly ScheduledFreezeStage[],
    to: ScheduledFreezeStage | null,
  ): Promise<ScheduledFreeze | null>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}

export type Decision =
  | {
      decision: "approve";
      by: string;
      approval: string;
      whenDrained: boolean;
      /**
       * `gateway.switch` only: a second approval of the same step, host, job and approver, for
       * switching back should the upgrade fail (the press approves the upgrade and its rollback).
       */
      rollback?: string;
    }
  | { decision: "cancel"; by: string }
  | { decision: "timeout" };

/** Hands a button press's decision to the run waiting on it (in process: DecisionBus). */
export interface Decisions {
  /** The decision on confirmation `id`, or `timeout` after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<Decision>;
  resolve(id: string, d: Decision): void;
}

/** One recover run: which host, who asked, its id (its jobs and confirmations carry it). */
export interface RecoverRun {
  host: string;
  actor: Actor;
  runId: string;
}

/**
 * Where a runtime runs recover runs. The default runs them in this process, one per host,
 * with decisions handed over in memory (`inProcessRuns`); Workers run each in a Workflow
 * instance, so a run waits minutes for buttons and drains without holding a request open.
 */
export interface RecoverRuns {
  /** Claims `host` for `runId`: null when claimed, else the id of the run that holds it. */
  claim(host: string, runId: string): Promise<string | null>;
  /** Gives the claim back (a run that could not start). */
  release(host: string, runId: string): Promise<void>;
  /** The run under way on `host` (claimed and not ended), else null; claims nothing. */
  running(host: string): Promise<string | null>;
  /**
   * Starts a claimed run. Resolves once it is under way elsewhere (null), or with the task
   * that runs it in this process after the command is acknowledged.
   */
  launch(run: RecoverRun): Promise<(() => Promise<void>) | null>;
  /** Hands a decided confirmation to the run waiting on it (`c.job` is the run id). */
  deliver(c: { id: string; job: string }, decision: Decision): Promise<void>;
}

/**
 * How a run performs its side effects and waits. In process, they just happen; a Workflow
 * records each named step, so a run that resumes (after a wait or an eviction) replays its
 * recorded results instead of posting, dispatching or approving twice. So everything a run
 * does that is not a pure function of earlier steps (Slack, storage, the agent, the clock)
 * goes through `do`, under a name unique within the run. A step cut off before its result was
 * recorded runs again when the run resumes, so each is safe to repeat: agent jobs carry fixed
 * ids (the agent runs a job id once and re-sends its result), and a confirmation is asked for
 * with an id drawn in an earlier step, so asking again returns the one already posted.
 */
export interface RunSteps {
  do<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** The decision on confirmation `id`, or `timeout` after `timeoutMs`. */
  decision(name: string, id: string, timeoutMs: number): Promise<Decision>;
  sleep(name: string, ms: number): Promise<void>;
}

/** What the recovery runbook adds to CoreDeps; wired by each runtime. */
export interface RecoveryDeps {
  store: RecoveryStore;
  authz: Authorizer;
  /** Channels every freeze notice, all-clear and expiry notice also goes to (CLAWOPS_ANNOUNCE_CHANNELS). */
  announceChannels: readonly string[];
  /** Signs approvals for mutating steps; agents pin its public key at enrollment. Absent: approvals are refused. */
  approvalKey?: ApprovalKeyPair;
  /** Hands button presses to the run waiting on them. */
  decisions: Decisions;
  /** How often "approve once drained" re-reads what is in flight (default 15 s). */
  drainPollMs?: number;
  /** Where recover runs run (Workers: a Workflow instance each). Unset: in this process, one per host. */
  runs?: RecoverRuns;
  /** How long before a scheduled freeze starts its warning goes out (default 15 min; CLAWOPS_FREEZE_WARN_MIN). */
  freezeWarnMs?: number;
  /** Set where this runtime cannot run the recover runbook: why, for `/openclaw recover` to say. */
  runbookUnavailable?: string;
}
