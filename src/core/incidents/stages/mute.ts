import type { CoreDeps } from "../../ports/deps.ts";
import type { IncidentBook, Snooze } from "../../ports/incident-book.ts";
import type { MutedCounts } from "../../ports/recovery.ts";
import type { HostRecord } from "../../ports/store.ts";
import { FREEZE_ALL } from "../../vocabulary/freezes.ts";
import type { IncidentSignal, IncidentSource } from "../signal.ts";

/** The mute stage: a maintenance freeze or a snooze holds, and the signal is counted there. */

/** Which count of a maintenance freeze a muted signal adds to. */
const MUTED_KIND: Record<Exclude<IncidentSource, "command">, keyof MutedCounts> = {
  alert: "alerts",
  watch: "watch",
  silence: "silences",
};

/**
 * Mute and snooze (docs/incidents.md): a maintenance freeze of the host or of the fleet mutes its
 * automatic signals, and a snooze of the signal's top finding on this host mutes it; either
 * counts what it muted. What muted it, in words, or null.
 */
export async function mutedBy(deps: CoreDeps, book: IncidentBook, signal: IncidentSignal): Promise<string | null> {
  if (signal.source === "command") return null;
  const now = deps.clock.now();
  const n = signal.count ?? 1;
  for (const target of [signal.host, FREEZE_ALL]) {
    const f = await deps.recovery.store.getFreeze(target);
    if (f?.maintenance && f.expiresAt > now) {
      await deps.recovery.store.countMuted(f.target, f.createdAt, MUTED_KIND[signal.source], n);
      return `the maintenance freeze of ${target === FREEZE_ALL ? "the fleet" : target}`;
    }
  }
  const top = signal.causes?.find((c) => c.startsWith("finding:"))?.slice("finding:".length);
  if (!top) return null;
  const snooze = (await book.listSnoozes()).find((z) => z.host === signal.host && z.finding === top);
  if (!snooze || !snoozeHolds(snooze, await deps.store.getHost(signal.host), now)) return null;
  await book.countSnoozed(snooze.host, snooze.finding, n);
  return `the snooze of ${top} on ${signal.host}`;
}

/** Whether a snooze still holds: before its end, or while the host runs the version it was set on. */
export function snoozeHolds(z: Snooze, host: Pick<HostRecord, "gatewayVersion"> | null, now: number): boolean {
  if (z.until !== null) return now < z.until;
  return z.untilVersion !== null && host?.gatewayVersion === z.untilVersion;
}
