import type { AuditEntry, AuditQuery, FreezeRecord, NewAuditEntry, NoticeRef, RecoveryStore } from "./types.ts";

const DEFAULT_AUDIT_LIMIT = 100;

/** Freezes and audit log in one heap (Workers until DO SQLite lands; unit tests). Same semantics as SQLite. */
export class InMemoryRecoveryStore implements RecoveryStore {
  private readonly freezes = new Map<string, FreezeRecord>();
  private readonly audit: AuditEntry[] = [];

  async putFreeze(freeze: FreezeRecord): Promise<void> {
    this.freezes.set(freeze.target, structuredClone(freeze));
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
