import { noteOpenIncidents, noteTimeline } from "../incidents/record.ts";
import { iso } from "../messages/format.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord } from "../ports/recovery.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";

/**
 * A freeze's moments on the incident record (issue 29, item 1): set, extended, lifted, expired,
 * placed or lifted by the freeze policy, a maintenance window's start and end. A host's freeze
 * goes on that host's open incident; the fleet's on every open one. Nothing when none is open.
 */
export async function noteFreeze(deps: CoreDeps, target: string, actor: string, text: string): Promise<void> {
  const entry = { actor, kind: "freeze" as const, text };
  if (target === FREEZE_ALL) await noteOpenIncidents(deps, entry);
  else await noteTimeline(deps, target, entry);
}

/** "node-3" or "the whole fleet", for the timeline's one line. */
export function freezeTarget(target: string): string {
  return target === FREEZE_ALL ? "the whole fleet" : target;
}

/** "froze node-3 until 2026-11-25 09:30 UTC: deploying 2026.9.3". */
export function frozeLine(f: FreezeRecord): string {
  return `froze ${freezeTarget(f.target)} until ${iso(f.expiresAt)}: ${f.reason}`;
}
