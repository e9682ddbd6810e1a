import type { GatewayWsData } from "../../contract/catalog.ts";
import type { RpcResult } from "./gateway-ws-client.ts";
import { idleStep } from "./gateway-ws-field.ts";

/**
 * `sessions.list` → the sessions with work now and how long since each last made progress
 * (issue 46: a wedged lane keeps a session `running` or `queued` while nothing moves).
 *
 * The row shape is OpenClaw 2026.9.6's (dist session-row-prepared-read-*.mjs,
 * session-list-read-result-*.mjs): `key`, `status` (running, queued, done, failed, killed,
 * timeout), `hasActiveRun` and `activeRunIds` for a run the gateway holds in memory,
 * `startedAt`, `updatedAt`, `lastActivityAt` (ms), and the answer's `ts` and `totalCount`.
 */

type Sessions = NonNullable<GatewayWsData["sessionsRpc"]>;
type Row = NonNullable<Sessions["sessions"]>[number];

/** The parameters the probe sends: only sessions with running or queued work, bounded. */
export const SESSIONS_LIST_PARAMS = { activeOnly: true, limit: 50, includeActivitySummary: false } as const;

const MAX_SESSIONS = 10;
const EMAIL = /[^\s:@]+@[^\s:@]+/g;
/** Phone numbers and chat ids in a key say who talks to the gateway; 6+ digits are masked. */
const LONG_DIGITS = /\+?\d{6,}/g;

export function maskSessionKey(key: string): string {
  return key.replace(EMAIL, "<email>").replace(LONG_DIGITS, "<id>").slice(0, 120);
}

const ACTIVE = new Set(["running", "queued"]);

export function summarizeSessions(res: RpcResult): Sessions {
  if (!res.ok) return { ok: false, error: res.error };
  const p = record(res.payload);
  const ts = typeof p.ts === "number" ? p.ts : undefined;
  const rows = (Array.isArray(p.sessions) ? p.sessions : []).map(record);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);
  const active: (Row & { lastAt: number })[] = [];
  for (const r of rows) {
    const status = typeof r.status === "string" ? r.status : undefined;
    if (!(r.hasActiveRun === true || (status !== undefined && ACTIVE.has(status)))) continue;
    const lastAt = Math.max(num(r.lastActivityAt) ?? 0, num(r.updatedAt) ?? 0);
    const startedAt = num(r.startedAt);
    active.push({
      session: maskSessionKey(String(r.key ?? "?")),
      status: (status ?? "running").slice(0, 40),
      ...(typeof r.hasActiveRun === "boolean" ? { hasActiveRun: r.hasActiveRun } : {}),
      ...(ts !== undefined && lastAt > 0 && lastAt <= ts ? { idleMin: idleStep((ts - lastAt) / 60_000) } : {}),
      ...(ts !== undefined && startedAt !== undefined && startedAt <= ts
        ? { runningMin: Math.floor((ts - startedAt) / 60_000) }
        : {}),
      lastAt,
    });
  }
  const sessions = active
    .sort((a, b) => a.lastAt - b.lastAt)
    .slice(0, MAX_SESSIONS)
    .map(({ lastAt: _lastAt, ...row }) => row);
  return {
    ok: true,
    active: typeof p.totalCount === "number" ? p.totalCount : active.length,
    sessions,
    ...(ts !== undefined ? { ts } : {}),
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
