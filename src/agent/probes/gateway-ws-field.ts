import type { GatewayWsData } from "../../contract/catalog.ts";
import { noteHeap } from "./vital-samples.ts";

/**
 * What issue 30 reads from the RPCs `gateway.ws` already makes (OpenClaw 2026.9.6 payloads,
 * captured on the real gateway): a chat account's traffic from `channels.status`, credential
 * expiries from `models.authStatus`, the V8 heap from `status`.
 */

type Account = NonNullable<NonNullable<GatewayWsData["channelsRpc"]>["accounts"]>[number];
type Provider = NonNullable<NonNullable<GatewayWsData["modelsRpc"]>["providers"]>[number];

/** Idle minutes are cut to these steps: a steady account keeps one value between watch probes. */
const IDLE_STEPS_MIN = [0, 2, 5, 10, 30, 60, 180, 720, 1440] as const;

export function idleStep(minutes: number): number {
  let step: number = IDLE_STEPS_MIN[0];
  for (const s of IDLE_STEPS_MIN) if (minutes >= s) step = s;
  return step;
}

/**
 * One `channelAccounts` entry → lifecycle, restarts, and idle times by the gateway's clock (`ts`
 * of the answer): `lastTransportActivityAt` (each completed long poll or socket frame; a
 * Telegram poller shows one at least every 30 s) and `lastInboundAt` (null until a message came).
 */
export function channelActivity(a: Record<string, unknown>, ts: number | undefined): Partial<Account> {
  const out: Partial<Account> = {};
  if (typeof a.lifecycle === "string") out.lifecycle = a.lifecycle.slice(0, 40);
  if (typeof a.mode === "string") out.mode = a.mode.slice(0, 40);
  if (typeof a.restartPending === "boolean") out.restartPending = a.restartPending;
  if (typeof a.reconnectAttempts === "number") out.reconnectAttempts = a.reconnectAttempts;
  if (ts !== undefined) {
    const since = (v: unknown) => (typeof v === "number" && v <= ts ? (ts - v) / 60_000 : undefined);
    const transport = since(a.lastTransportActivityAt);
    if (transport !== undefined) out.transportIdleMin = idleStep(transport);
    const inbound = since(a.lastInboundAt);
    if (inbound !== undefined) out.inboundIdleMin = Math.floor(inbound);
    else if (a.lastInboundAt === null) out.noInboundYet = true;
  }
  return out;
}

const EMAIL = /[^\s:@]+@[^\s:@]+/g;

/** A provider's soonest expiry and its profiles' type, status and expiry (never a credential, e-mail or label). */
export function modelAuthExpiry(p: Record<string, unknown>): Partial<Provider> {
  const at = (v: unknown) => {
    const n = record(v).at;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
  };
  const expiresAt = at(p.expiry);
  const profiles = (Array.isArray(p.profiles) ? p.profiles : [])
    .map(record)
    .filter((x) => typeof x.profileId === "string")
    .slice(0, 10)
    .map((x) => {
      const profileExpiry = at(x.expiry);
      return {
        profileId: String(x.profileId).replace(EMAIL, "<email>").slice(0, 80),
        type: typeof x.type === "string" ? x.type.slice(0, 20) : "unknown",
        status: typeof x.status === "string" ? x.status.slice(0, 40) : "unknown",
        ...(profileExpiry !== undefined ? { expiresAt: profileExpiry } : {}),
        ...(typeof x.reasonCode === "string" ? { reasonCode: x.reasonCode.slice(0, 40) } : {}),
      };
    });
  return { ...(expiresAt !== undefined ? { expiresAt } : {}), ...(profiles.length > 0 ? { profiles } : {}) };
}

/**
 * `status` → `pid` and `processMemory.heapUsedBytes` (2026.9.6 dist process-vitals-*.mjs:
 * `process.memoryUsage()` as rssBytes, heapUsedBytes, …): one heap sample for `gateway.vitals`.
 */
export function noteStatusHeap(payload: unknown): void {
  const p = record(payload);
  const heap = record(p.processMemory).heapUsedBytes;
  if (typeof p.pid === "number" && typeof heap === "number" && heap > 0) noteHeap(p.pid, Date.now(), heap);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
