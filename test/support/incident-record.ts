import { type Incident, NO_COUNTS } from "../../src/core/ports/incident-book.ts";

/**
 * An incident record as an Alertmanager alert opens one for `host` at `at` (open, failing, sev3,
 * one alert counted, channel C1, thread 1.1), `over` replacing any field. No runtime imports
 * beyond core's, so the Workers pool imports it too.
 */
export function alertIncident(id: string, host: string, at: number, over: Partial<Incident> = {}): Incident {
  return {
    id,
    source: "alert",
    state: "open",
    title: `OpenClaw gateway on ${host}`,
    hosts: [host],
    channel: "C1",
    threadTs: "1.1",
    owner: null,
    openedAt: at,
    openedBy: "Alertmanager",
    updatedAt: at,
    resolvedAt: null,
    resolvedBy: null,
    phase: "failing",
    parentId: null,
    causes: ["alert:OpenClawGatewayDown"],
    counts: { ...NO_COUNTS, alerts: 1 },
    lastSignalAt: at,
    headerAt: null,
    headerStale: false,
    severity: "sev3",
    acknowledgedAt: null,
    comms: null,
    scribe: null,
    ...over,
  };
}
