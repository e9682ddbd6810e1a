import type { AutoFreeze, FreezeRecord } from "../ports/recovery.ts";

/** Who an automatic freeze is by: a person's freeze is never replaced or lifted by one. */
export const AUTO_FREEZE_OWNER = "clawops (automatic)";

/** When an automatic freeze ends: after the healthy time (and any extension), never past its cap. */
export function autoFreezeEnd(auto: AutoFreeze): number {
  if (auto.healthySince === null) return auto.capAt;
  return Math.min(auto.capAt, Math.max(auto.healthySince + auto.liftAfterMs, auto.holdUntil ?? 0));
}

/** Whether an automatic freeze that ended at `endedAt` ended because its host was healthy long enough. */
export function liftedHealthy(auto: AutoFreeze, endedAt: number): boolean {
  return auto.healthySince !== null && auto.healthySince + auto.liftAfterMs <= endedAt;
}

export function isAutoFreeze(f: FreezeRecord): f is FreezeRecord & { auto: AutoFreeze } {
  return f.auto !== undefined && f.owner === AUTO_FREEZE_OWNER;
}
