import { Authorizer } from "../../src/core/authz/authz.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import type {
  AuditEntry,
  AuditQuery,
  AutoFreeze,
  ConfirmationRecord,
  FreezeRecord,
  MutedCounts,
  NewAuditEntry,
  NoticeRef,
  RecoveryDeps,
  RecoveryStore,
  ScheduledFreeze,
  ScheduledFreezeStage,
} from "../../src/core/ports/recovery.ts";

const DEFAULT_AUDIT_LIMIT = 100;

/** Freezes and audit log in one heap (Workers until DO SQLite lands; unit tests). Same semantics as SQLite. */
export class InMemoryRecoveryStore implements RecoveryStore {
  private readonly freezes = new Map<string, FreezeRecord>();
  private readonly audit: AuditEntry[] = [];
  private readonly confirmations = new Map<string, ConfirmationRecord>();
  private readonly scheduled = new Map<string, ScheduledFreeze>();

  async insertConfirmation(c: ConfirmationRecord): Promise<void> {
    if (this.confirmations.has(c.id)) throw new Error("confirmation id already stored");
    this.confirmations.set(c.id, structuredClone(c));
  }

  async getConfirmation(id: string): Promise<ConfirmationRecord | null> {
    const c = this.confirmations.get(id);
    return c ? structuredClone(c) : null;
  }

  async setConfirmationMessage(id: string, messageTs: string): Promise<void> {
    const c = this.confirmations.get(id);
    if (c) c.messageTs = messageTs;
  }

  async decideConfirmation(
    id: string,
    d: { at: number; by: string; decision: "approve" | "cancel" },
  ): Promise<boolean> {
    const c = this.confirmations.get(id);
    if (!c || c.decision !== null || c.expiresAt <= d.at) return false;
    c.decision = d.decision;
    c.decidedAt = d.at;
    c.decidedBy = d.by;
    return true;
  }

  async putFreeze(freeze: FreezeRecord): Promise<void> {
    this.freezes.set(freeze.target, structuredClone(freeze));
  }

  async putAutoFreeze(freeze: FreezeRecord & { auto: AutoFreeze }, now: number): Promise<boolean> {
    const held = this.freezes.get(freeze.target);
    if (held && held.expiresAt > now && !(held.owner === freeze.owner && held.auto)) return false;
    this.freezes.set(freeze.target, structuredClone(freeze));
    return true;
  }

  async getFreeze(target: string): Promise<FreezeRecord | null> {
    const f = this.freezes.get(target);
    return f ? structuredClone(f) : null;
  }

  async listFreezes(): Promise<FreezeRecord[]> {
    return [...this.freezes.values()]
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.target < b.target ? -1 : 1))
      .map((f) => structuredClone(f));
  }

  async countMuted(target: string, createdAt: number, kind: keyof MutedCounts, n: number): Promise<void> {
    const f = this.freezes.get(target);
    if (!f || f.createdAt !== createdAt) return;
    const muted = { alerts: 0, watch: 0, silences: 0, ...f.muted };
    muted[kind] += n;
    f.muted = muted;
  }

  async setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void> {
    const f = this.freezes.get(target);
    if (f && f.createdAt === createdAt) f.notices = structuredClone(notices);
  }

  async removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null> {
    const f = this.freezes.get(target);
    if (!f || (createdAt !== undefined && f.createdAt !== createdAt)) return null;
    this.freezes.delete(target);
    return f;
  }

  async putScheduledFreeze(s: ScheduledFreeze): Promise<void> {
    if (this.scheduled.has(s.id)) throw new Error("scheduled freeze id already stored");
    this.scheduled.set(s.id, structuredClone(s));
  }

  async listScheduledFreezes(): Promise<ScheduledFreeze[]> {
    return [...this.scheduled.values()]
      .sort((a, b) => a.startsAt - b.startsAt || (a.id < b.id ? -1 : 1))
      .map((s) => structuredClone(s));
  }

  async advanceScheduledFreeze(
    id: string,
    from: readonly ScheduledFreezeStage[],
    to: ScheduledFreezeStage | null,
  ): Promise<ScheduledFreeze | null> {
    const s = this.scheduled.get(id);
    if (!s || !from.includes(s.stage)) return null;
    if (to === null) this.scheduled.delete(id);
    else s.stage = to;
    return structuredClone(s);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const stored: AuditEntry = { ...structuredClone(entry), seq: this.audit.length + 1 };
    this.audit.push(stored);
    return structuredClone(stored);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const after = query.afterSeq ?? 0;
    const rows = this.audit.filter((e) => e.seq > after && (query.host === undefined || e.host === query.host));
    if (query.order === "desc") rows.reverse();
    return rows.slice(0, Math.max(0, query.limit ?? DEFAULT_AUDIT_LIMIT)).map((e) => structuredClone(e));
  }
}

/**
 * The recovery capability in memory, as a test's CoreDeps carries it: an empty store, the
 * default authorizer (everyone may, no leads), no announce channels, an in-process decision bus.
 */
export function memoryRecovery(overrides: Partial<RecoveryDeps> = {}): RecoveryDeps {
  return {
    store: new InMemoryRecoveryStore(),
    authz: new Authorizer(),
    announceChannels: [],
    decisions: new DecisionBus(),
    ...overrides,
  };
}
