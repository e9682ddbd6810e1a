import type { CoreDeps } from "../ports/deps.ts";
import type { AuditEntry, NewAuditEntry } from "../ports/recovery.ts";

/** Appends to the audit log; a failing audit write is logged loudly but never hides the action's own result. */
export async function audit(deps: CoreDeps, entry: NewAuditEntry): Promise<AuditEntry | null> {
  try {
    return await deps.recovery.store.appendAudit(entry);
  } catch (err) {
    deps.logger.error("audit write failed", { action: entry.action, host: entry.host, err: String(err) });
    return null;
  }
}

/** JSON lines for export: one entry per line, oldest first. */
export function auditToJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join("");
}
