import { defaultSeverity } from "../../paging/policy.ts";
import type { CoreDeps } from "../../ports/deps.ts";
import { type Incident, type IncidentBook, SEVERITIES, type Severity } from "../../ports/incident-book.ts";
import { queuePage } from "../outbox.ts";
import { appendTimeline } from "../record.ts";
import type { IncidentSignal, IncidentSource, Taken } from "../signal.ts";
import { signalSummary } from "./fate.ts";

/**
 * The page stage (issue 40, item 2), run once the record holds the signal: an incident it
 * opened is paged by the policy (a fleet incident too), and an automatic signal that is news on
 * an open incident raises it to its own severity and pages it if that now pages. Queued in the
 * outbox: delivered after, never in the way of the record.
 */
export async function pageStage(
  deps: CoreDeps,
  book: IncidentBook,
  signal: IncidentSignal,
  taken: Taken,
): Promise<void> {
  const summary = signalSummary(signal);
  if (taken.fleet) await queuePage(deps, taken.fleet.incident, "trigger", { summary });
  if (taken.opened) await queuePage(deps, taken.incident, "trigger", { summary });
  else if (!taken.counted && signal.source !== "command") {
    // A watch failure on the incident a person's triage opened: as bad as its own would be.
    taken.incident = await raiseSeverity(deps, book, taken.incident, defaultSeverity(signal.source), signal.source);
    await queuePage(deps, taken.incident, "trigger", { summary });
  }
}

/** `incident` at `severity` at least (sev1 is the worst), on its timeline when raised. */
async function raiseSeverity(
  deps: CoreDeps,
  book: IncidentBook,
  incident: Incident,
  severity: Severity,
  source: IncidentSource,
): Promise<Incident> {
  if (SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(incident.severity)) return incident;
  const raised = await book.updateIncident(incident.id, ["open", "acknowledged"], { severity });
  if (!raised) return incident;
  await appendTimeline(deps, book, raised, {
    actor: "clawops",
    kind: "severity",
    text: `severity ${incident.severity} → ${severity} (a ${source} signal joined it)`,
  });
  return raised;
}
