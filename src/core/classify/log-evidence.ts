import type { LogSignature, LogSignatureKind } from "../../contract/catalog.ts";
import { type Evidence, openclawInvisible } from "./evidence.ts";

/**
 * Helpers for rules that read the `logs.signatures` step. A log line is history: a rule must
 * know whether it happened after the gateway's last start (`gateway ready`) or after the last
 * successful hot reload, or it reports yesterday's fault as today's.
 */

export function logSignature(e: Evidence, kind: LogSignatureKind): LogSignature | undefined {
  return logSignatureAndSource(e, kind)?.sig;
}

/**
 * The gateway's file log first; else the service manager's journal (or container log), which
 * also holds what the gateway printed before its file logger started (a refused start).
 */
function logSignatureAndSource(e: Evidence, kind: LogSignatureKind): { sig: LogSignature; source: string } | undefined {
  // With no OpenClaw visible the agent can only have read the machine-wide default log
  // (/tmp/openclaw, shared by every OpenClaw on the host): nothing in it is attributable.
  if (openclawInvisible(e)) return undefined;
  const logs = e["logs.signatures"];
  // Another gateway's log (issue 30: the default log is shared by every gateway on the host).
  const theirs = logs?.attribution?.verdict === "other-gateway";
  const file = theirs ? undefined : logs?.signatures.find((s) => s.kind === kind);
  if (file) return { sig: file, source: `${logs?.path ?? "gateway log"}${unprovenNote(e)}` };
  const journal = e["service.state"]?.journal;
  const fromJournal = journal?.signatures.find((s) => s.kind === kind);
  return fromJournal && journal ? { sig: fromJournal, source: `\`${journal.command}\`` } : undefined;
}

/**
 * The file log was shown to be this gateway's (or nothing says otherwise). A rule that would
 * fail the gateway on a log line alone asks this first: the machine-wide default log, read when
 * the config cannot say where this gateway logs, holds every other gateway's lines too.
 */
export function logProven(e: Evidence): boolean {
  return e["logs.signatures"]?.attribution?.verdict !== "unproven";
}

/**
 * The gateway's log was there and could not be read (issue 46): a directory (EISDIR), another
 * user's file (EACCES). Null when a log was read, or none existed. Agents before issue 46 say
 * this only in `error` (no `unreadable`): nothing read and an error is the same fact.
 */
export function logNotRead(e: Evidence): { why: string; unreadable: { path: string; code: string }[] } | null {
  const logs = e["logs.signatures"];
  if (!logs || logs.found) return null;
  const unreadable = logs.unreadable ?? [];
  if (unreadable.length > 0) return { why: unreadable.map((u) => `${u.path}: ${u.code}`).join("; "), unreadable };
  return logs.error ? { why: logs.error, unreadable: [] } : null;
}

/** Said beside every line quoted from a log that could not be shown to be this gateway's. */
export function unprovenNote(e: Evidence): string {
  const a = e["logs.signatures"]?.attribution;
  return a?.verdict === "unproven" ? ` (not proven to be this gateway's log: ${a.how})` : "";
}

export function timeOf(iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The newest `kind` line is newer than every line of the `after` kinds (or none of those exist). */
export function newerThan(e: Evidence, kind: LogSignatureKind, after: readonly LogSignatureKind[]): boolean {
  const sig = logSignature(e, kind);
  if (!sig) return false;
  const at = timeOf(sig.lastAt);
  for (const other of after) {
    const o = timeOf(logSignature(e, other)?.lastAt);
    if (o === null) continue;
    // Without a timestamp on our line we cannot say it is fresh: it is not.
    if (at === null || o >= at) return false;
  }
  return true;
}

/** Evidence lines for one signature: a count line, then the newest examples (quoted). */
export function quoteSignature(e: Evidence, kind: LogSignatureKind, max = 3): string[] {
  const found = logSignatureAndSource(e, kind);
  if (!found) return [];
  const { sig, source } = found;
  const reasons = sig.reasons
    ? ` (${Object.entries(sig.reasons)
        .map(([r, n]) => `${r}×${n}`)
        .join(", ")})`
    : "";
  return [
    `${source}: ${sig.count} "${kind}" line${sig.count === 1 ? "" : "s"}${reasons}, newest ${sig.lastAt ?? "undated"}`,
    ...sig.examples.slice(-max).map((x) => `log: ${x}`),
  ];
}

/** The last live change of `gateway.auth` (its rate limiter's settings apart) in the log, when there was one. */
export function lastAuthReloadLine(e: Evidence): string[] {
  const reload = logSignature(e, "auth-reloaded");
  return reload?.lastAt ? [`gateway.auth last changed live at ${reload.lastAt}`] : [];
}

/** The last `gateway ready` in the log, as a line a person can check against. */
export function lastReadyLine(e: Evidence): string[] {
  const ready = logSignature(e, "gateway-ready");
  return ready?.lastAt ? [`gateway last became ready at ${ready.lastAt}`] : [];
}
