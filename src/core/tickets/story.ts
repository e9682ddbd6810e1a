import { TRIAGE_STEP_NAMES } from "../../contract/catalog.ts";
import { type Classification, classifyResults } from "../classify/classify.ts";
import type { Finding } from "../classify/finding.ts";
import { requireIncident } from "../incidents/record.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentAction, IncidentEvent } from "../ports/incident-book.ts";
import type { JobRecord } from "../ports/store.ts";
import type { TeamMessage } from "../ports/team-messages.ts";
import type { IncidentTicket } from "../ports/ticket-book.ts";

/**
 * An incident as its tickets, its PagerDuty note and its postmortem tell it, read from the
 * record (issue 29): the incident, its timeline, the triages its timeline names (classified
 * again from their stored results, so the findings are the catalog's words, not a copy), the
 * last bundle, its tickets and the PagerDuty incidents it came from.
 */
export interface TriageReading {
  jobId: string;
  at: number;
  by: string;
  status: JobRecord["status"];
  matrix: Classification["matrix"];
  findings: Finding[];
  /** When the newest line of the gateway's own log it read was written (logs.signatures `newestAt`), if dated. */
  logNewestAt: number | null;
}

export interface PagerDutyLink {
  id: string;
  number: number | null;
  url: string | null;
}

export interface IncidentStory {
  incident: Incident;
  timeline: IncidentEvent[];
  /** Every triage of the incident with results, oldest first. */
  triages: TriageReading[];
  /** What went wrong: the first triage that found a failing layer, else the last one. */
  failure: TriageReading | null;
  /** Where it ended: the last triage. */
  latest: TriageReading | null;
  /** The failure's top finding id (`none` when it found none): with the host, what a ticket is about. */
  topFinding: string;
  /** The last bundle stored for it. */
  bundle: { id: string; at: number } | null;
  tickets: IncidentTicket[];
  pagerduty: PagerDutyLink[];
  /** What the team wrote in its thread (issue 41), oldest first: key moments and decisions come from here. */
  messages: TeamMessage[];
  /** Its follow-up actions, oldest first (issue 41, item 5). */
  actions: IncidentAction[];
}

/** The timeline kinds whose `ref` may name a triage job (what raised a signal, and a triage's result). */
const TRIAGE_REFS = new Set(["triage", "alert.firing", "watch"]);
/** The most triages a story reads back (the newest): enough for any incident a person reads whole. */
const MAX_TRIAGES = 20;

/** The incident `id` as a story; `unknown_incident` when there is none. */
export async function readStory(deps: CoreDeps, id: string): Promise<IncidentStory> {
  const incident = await requireIncident(deps, id);
  const timeline = await deps.store.incidentTimeline(incident.id);
  const refs = [...new Set(timeline.filter((e) => TRIAGE_REFS.has(e.kind) && e.ref).map((e) => e.ref as string))].slice(
    -MAX_TRIAGES,
  );
  const jobs = await Promise.all(refs.map((ref) => deps.store.getJob(ref).catch(() => null)));
  const triages = jobs
    .filter((j): j is JobRecord => j !== null && j.kind === "triage" && j.results.length > 0)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(readTriage);
  const failure = triages.find((t) => t.findings.some((f) => f.severity === "fail")) ?? triages.at(-1) ?? null;
  const stored = timeline.filter((e) => e.kind === "bundle" && e.ref?.startsWith("bundle") && / stored /.test(e.text));
  const last = stored.at(-1);
  return {
    incident,
    timeline,
    triages,
    failure,
    latest: triages.at(-1) ?? null,
    topFinding: failure?.findings[0]?.id ?? "none",
    bundle: last?.ref ? { id: last.ref, at: last.at } : null,
    tickets: await deps.store.incidentTickets(incident.id),
    pagerduty: pagerDutyLinks(timeline),
    messages: await deps.store.teamMessages(incident.id),
    actions: await deps.store.listIncidentActions({ incidentId: incident.id }),
  };
}

function readTriage(job: JobRecord): TriageReading {
  const { matrix, findings } = classifyResults(job.results, TRIAGE_STEP_NAMES);
  return {
    jobId: job.id,
    at: job.finishedAt ?? job.createdAt,
    by: job.user,
    status: job.status,
    matrix,
    findings,
    logNewestAt: logNewestAt(job),
  };
}

function logNewestAt(job: JobRecord): number | null {
  const step = job.results.find((r) => r.step === "logs.signatures");
  const newest = (step?.data as { newestAt?: unknown } | undefined)?.newestAt;
  const at = typeof newest === "string" ? Date.parse(newest) : Number.NaN;
  return Number.isFinite(at) ? at : null;
}

/** The ref a PagerDuty link is written with: `pagerduty:<incident id>`. */
export const PAGERDUTY_REF = "pagerduty:";

/** The PagerDuty incidents the record names (tickets/pagerduty.ts writes them), each once. */
export function pagerDutyLinks(timeline: readonly IncidentEvent[]): PagerDutyLink[] {
  const links = new Map<string, PagerDutyLink>();
  for (const e of timeline) {
    if (e.kind !== "pagerduty" || !e.ref?.startsWith(PAGERDUTY_REF) || links.has(e.ref)) continue;
    const number = /#(\d+)/.exec(e.text)?.[1];
    const url = /(https?:\/\/\S+)/.exec(e.text)?.[1] ?? null;
    links.set(e.ref, { id: e.ref.slice(PAGERDUTY_REF.length), number: number ? Number(number) : null, url });
  }
  return [...links.values()];
}

/** The layers a triage found failing, as `process (gateway not running)`. */
export function failingLayers(t: TriageReading): string[] {
  return Object.entries(t.matrix)
    .filter(([, cell]) => cell.status === "fail")
    .map(([layer, cell]) => `${layer.replace("_", " ")} (${cell.reason})`);
}
