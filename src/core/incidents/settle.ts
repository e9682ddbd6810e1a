import { errorMessage } from "../../contract/errors.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { refreshIncidentHeader } from "./header.ts";
import { appendTimeline, moveIncident } from "./record.ts";

/** What a finished triage found, as the incident it answered needs it. */
export interface TriageVerdict {
  /** Layers that fail. */
  failing: readonly string[];
  /** Layers to watch. */
  warning: readonly string[];
  /** Every probe answered (not lost, not past its deadline): "nothing fails" can be believed. */
  complete: boolean;
}

/** Who closes an incident its own triage found nothing failing in. */
export const SETTLE_ACTOR = "clawops";

/**
 * A person's triage opens the host's incident in phase `checking`, before anything is known to
 * fail (pipeline.ts). When it answers: a failing layer makes it `failing`; a complete answer
 * with no failing layer (warnings at most) closes it at once, resolved by clawops with what the
 * triage found, so a healthy host's triage leaves no failing incident for someone to resolve by
 * hand; an incomplete one (lost, timed out) leaves it `checking`: nothing is known. Only an
 * incident a command opened and nothing else moved is settled here; the watch, alerts and
 * people move the others. Logged, never thrown.
 */
export async function settleTriagedIncident(deps: CoreDeps, host: string, verdict: TriageVerdict): Promise<void> {
  try {
    const incident = await deps.store.findOpenIncident(host);
    if (incident?.phase !== "checking") return;
    if (verdict.failing.length > 0) {
      const moved = await deps.store.updateIncident(
        incident.id,
        ["open", "acknowledged"],
        { phase: "failing" },
        "checking",
      );
      if (moved) await refreshIncidentHeader(deps, moved, { force: true });
      return;
    }
    if (!verdict.complete || incident.source !== "command") return;
    const watch = verdict.warning.length;
    await appendTimeline(deps, deps.store, incident, {
      actor: SETTLE_ACTOR,
      kind: "note",
      text: `the triage found no failing layer${watch > 0 ? ` (${watch} to watch: ${verdict.warning.join(", ")})` : ""}: closed, nothing to resolve by hand; a later failure opens a new incident`,
    });
    // The record is resolved; the host's thread is kept, so the next triage of a healthy host
    // answers in the same thread (its header then shows that triage's incident).
    const moved = await moveIncident(deps, incident.id, "resolved", SETTLE_ACTOR);
    await refreshIncidentHeader(deps, moved, { force: true });
  } catch (err) {
    deps.logger.error("incident not settled after its triage", { host, err: errorMessage(err) });
  }
}
