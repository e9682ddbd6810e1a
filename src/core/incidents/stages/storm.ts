import type { CoreDeps } from "../../ports/deps.ts";
import { type IncidentBook, NO_COUNTS } from "../../ports/incident-book.ts";
import { causeKeys } from "../grouping.ts";
import { newIncident } from "../new-incident.ts";
import { COUNTER, type IncidentSignal, type Taken } from "../signal.ts";
import { groupInto } from "./fleet.ts";

/**
 * The storm guard: an automatic signal for a host whose incident is open is news only when it
 * is the first of its kind there, or the first failure after the incident recovered (or after a
 * person's triage that found nothing yet). Every other one is counted on the record and shown by
 * editing the incident's header: no post, no triage, no audit row, however many arrive.
 */

/** Signals only counted (a storm) are still named on the timeline up to this many of a kind. */
export const NAMED_ON_TIMELINE = 20;

/**
 * The record's side of a signal, decided atomically in the store so that signals arriving at
 * once agree: the first opens the host's incident (`opened`); on an open one, the first of its
 * kind or the first failure since it recovered is news; any other is only `counted`. A host
 * that is a member of an open fleet incident has its automatic signals counted there.
 */
export async function takeSignal(
  deps: CoreDeps,
  book: IncidentBook,
  signal: IncidentSignal,
  channel: string,
): Promise<Taken> {
  const now = deps.clock.now();
  const n = signal.count ?? 1;
  const counter = COUNTER[signal.source];
  const automatic = signal.source !== "command";
  const current = await book.findOpenIncident(signal.host);
  if (current && current.source === "fleet" && automatic) {
    const counted = (await book.countIncident(current.id, { [counter]: n }, now)) ?? current;
    return { incident: counted, opened: false, counted: true };
  }
  let causes: string[] = signal.causes ?? [];
  if (!current && automatic) {
    const fleet = await deps.store.listHosts();
    causes = causeKeys(causes, fleet.find((h) => h.name === signal.host) ?? null, fleet);
    const grouped = await groupInto(deps, book, signal, channel, causes, fleet);
    if (grouped) return grouped;
  }
  if (!current) {
    const candidate = newIncident(deps, {
      source: signal.source,
      host: signal.host,
      actor: signal.actor,
      channel,
      causes,
      counts: { ...NO_COUNTS, [counter]: n },
    });
    const stored = await book.openIncident(candidate, signal.host);
    if (stored.id === candidate.id) return { incident: stored, opened: true, counted: false };
  }
  const open = current ?? (await book.findOpenIncident(signal.host));
  if (!open) throw new Error(`no open incident for ${signal.host} after opening one`);
  const counted = (await book.countIncident(open.id, { [counter]: n }, now)) ?? open;
  // A host incident grouped into a fleet incident: the fleet's counts hold its hosts' signals too.
  const parent = counted.parentId ? await book.countIncident(counted.parentId, { [counter]: n }, now) : null;
  const also = parent ? { parent } : {};
  if (!automatic) return { incident: counted, opened: false, counted: false, ...also };
  if (counted.phase === "checking") {
    // A person's triage opened it and nothing was known to fail: an automatic failure is news, and its phase.
    const moved = await book.updateIncident(open.id, ["open", "acknowledged"], { phase: "failing" }, "checking");
    if (moved) return { incident: moved, opened: false, counted: false, ...also };
  }
  if (counted.counts[counter] === n) return { incident: counted, opened: false, counted: false, ...also };
  if (counted.phase === "recovered") {
    // The first failure since it recovered: only the signal that moves it back to failing is news.
    const moved = await book.updateIncident(open.id, ["open", "acknowledged"], { phase: "failing" }, "recovered");
    if (moved) return { incident: moved, opened: false, counted: false, ...also };
  }
  return { incident: counted, opened: false, counted: true, ...also };
}
