import type { Incident, Severity } from "../ports/incident-book.ts";

/** What clawops tells a pager: the same three moves every pager has. */
export type PageAction = "trigger" | "acknowledge" | "resolve";

/**
 * One page, as queued in the outbox (its JSON body) and sent to each target in its own shape
 * (targets.ts). The incident id is the dedup key everywhere: a pager folds every page of one
 * clawops incident into one of its own.
 */
export interface PageEvent {
  incidentId: string;
  action: PageAction;
  /** One line: what is wrong (the signal that opened it), at most 1,024 characters (PagerDuty's cap). */
  summary: string;
  severity: Severity;
  /** The host (a fleet incident: its hosts, comma-separated). */
  source: string;
  /** Who acknowledged or resolved it, for the pager's log. */
  by: string | null;
  /** Plain key → value facts: finding ids, the incident's source, its thread. */
  details: Record<string, string>;
  links: { href: string; text: string }[];
}

/** PagerDuty refuses a longer `payload.summary`. */
export const SUMMARY_MAX = 1_024;

/** The page for `incident`'s move; `summary` says what raised it (the watch's line, the alert's name). */
export function pageEventFor(
  incident: Incident,
  action: PageAction,
  o: { summary?: string; by?: string | null; url?: string | null } = {},
): PageEvent {
  const findings = incident.causes.filter((c) => c.startsWith("finding:")).map((c) => c.slice("finding:".length));
  const what = o.summary?.trim() || incident.title;
  const summary = `[${incident.severity}] ${what}`;
  return {
    incidentId: incident.id,
    action,
    summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
    severity: incident.severity,
    source: incident.hosts.join(", ").slice(0, 255) || "clawops",
    by: o.by ?? null,
    details: {
      incident: incident.id,
      title: incident.title,
      source: incident.source,
      severity: incident.severity,
      hosts: incident.hosts.join(", "),
      findings: findings.join(", ") || "none yet (a triage follows in the thread)",
      opened: new Date(incident.openedAt).toISOString(),
      ...(incident.channel ? { thread: `${incident.channel}${incident.threadTs ? ` ${incident.threadTs}` : ""}` } : {}),
    },
    links: o.url ? [{ href: o.url, text: `clawops incident ${incident.id}` }] : [],
  };
}
