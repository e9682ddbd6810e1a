import {
  INCIDENT_SOURCES,
  type Incident,
  type IncidentSourceKind,
  SEVERITIES,
  type Severity,
} from "../ports/incident-book.ts";
import type { PagingPolicy } from "../ports/paging.ts";

/**
 * Severity and paging (docs/paging.md). Every incident has a severity from its source, set when
 * it opens and changed by a person (`/openclaw incident <id> sev 2`); the paging policy says
 * which severities of which sources page the team's pager.
 */

/**
 * The severity an incident opens with, by what raised it:
 *  - `fleet` sev1: several hosts failing together with one cause;
 *  - `watch`, `silence` sev2: a gateway failing two probes in a row, an agent lost while others report;
 *  - `alert` sev3: the alert's own pager has paged whoever it pages;
 *  - `command` sev3: a person's triage (it closes itself when nothing fails, incidents/settle.ts);
 *  - `declared`: what the person said, sev3 when they said nothing.
 */
export function defaultSeverity(source: IncidentSourceKind): Severity {
  switch (source) {
    case "fleet":
      return "sev1";
    case "watch":
    case "silence":
      return "sev2";
    default:
      return "sev3";
  }
}

/**
 * The documented default: incidents the watch, a lost agent, a fleet failure or a person
 * declared page at sev1–sev2; alerts never page again (the alert's pager already did: a second
 * page of the same outage is noise), nor do a person's triages unless raised to sev2 or worse.
 */
export const DEFAULT_PAGING_POLICY: PagingPolicy = {
  watch: "sev2",
  silence: "sev2",
  fleet: "sev2",
  declared: "sev2",
  command: "sev2",
};

/** Whether `incident` pages under `policy`: its source is listed and its severity is as bad or worse. */
export function pages(policy: PagingPolicy, incident: Pick<Incident, "source" | "severity">): boolean {
  const floor = policy[incident.source];
  return floor !== undefined && SEVERITIES.indexOf(incident.severity) <= SEVERITIES.indexOf(floor);
}

/**
 * CLAWOPS_PAGING_POLICY: `none`, or comma-separated `<source>:<sevN>` (`watch:sev2,fleet:sev1`);
 * unset or empty: the default. Throws with the entry and what is wrong.
 */
export function parsePagingPolicy(raw: string | undefined): PagingPolicy {
  const text = raw?.trim();
  if (!text) return { ...DEFAULT_PAGING_POLICY };
  if (text === "none") return {};
  const policy: PagingPolicy = {};
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [source, severity, extra] = entry.split(":").map((p) => p.trim());
    if (!INCIDENT_SOURCES.includes(source as IncidentSourceKind) || extra !== undefined) {
      throw new Error(
        `CLAWOPS_PAGING_POLICY: "${entry.slice(0, 40)}" is not <source>:<sev1-4>; sources are ${INCIDENT_SOURCES.join(", ")}.`,
      );
    }
    if (!SEVERITIES.includes(severity as Severity)) {
      throw new Error(
        `CLAWOPS_PAGING_POLICY: "${entry.slice(0, 40)}" names no severity; write ${source}:sev1 … ${source}:sev4.`,
      );
    }
    policy[source as IncidentSourceKind] = severity as Severity;
  }
  return policy;
}

/** A severity as a person types it: `2`, `sev2`, `SEV2`; null when it is none. */
export function parseSeverity(raw: string): Severity | null {
  const m = /^(?:sev)?([1-4])$/i.exec(raw.trim());
  return m ? (`sev${m[1]}` as Severity) : null;
}
