import { defaultSeverity } from "../paging/policy.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentCounts, Severity } from "../ports/incident-book.ts";

/** A new incident record, open and as its source opens it (severity by source, a command's checking). */
export function newIncident(
  deps: CoreDeps,
  o: {
    source: Incident["source"];
    host: string;
    actor: string;
    channel: string;
    causes: string[];
    counts: IncidentCounts;
    severity?: Severity;
  },
): Incident {
  const now = deps.clock.now();
  return {
    id: deps.ids.id("inc"),
    source: o.source,
    state: "open",
    title: `OpenClaw gateway on ${o.host}`,
    hosts: [o.host],
    channel: o.channel,
    threadTs: null,
    owner: null,
    openedAt: now,
    openedBy: o.actor,
    updatedAt: now,
    resolvedAt: null,
    resolvedBy: null,
    // A person's triage opens it before anything is known to fail (settleTriagedIncident decides).
    phase: o.source === "command" ? "checking" : "failing",
    parentId: null,
    causes: o.causes,
    counts: o.counts,
    lastSignalAt: now,
    headerAt: null,
    headerStale: false,
    severity: o.severity ?? defaultSeverity(o.source),
    acknowledgedAt: null,
    comms: null,
    scribe: null,
  };
}
