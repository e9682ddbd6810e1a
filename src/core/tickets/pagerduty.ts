import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { describeHits } from "../bundles/scan.ts";
import { secondScan } from "../bundles/second-scan.ts";
import { call, expectOk, withRetry } from "../bundles/tickets.ts";
import { noteIncidentEvent, noteTimeline } from "../incidents/record.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";
import type { PagerDutyServices } from "../ports/pagerduty.ts";
import { utc } from "./content.ts";
import { failingLayers, PAGERDUTY_REF, type PagerDutyLink, readStory, type TriageReading } from "./story.ts";
import { tellThread } from "./thread.ts";

/**
 * PagerDuty write-back (issue 29, item 7), for incidents a PagerDuty alert raised: the record
 * remembers the PagerDuty incident (`linkPagerDutyIncidents`, from the alert), each finished
 * triage's summary goes to it as a note, and, with CLAWOPS_PAGERDUTY_RESOLVE, resolving in
 * clawops resolves it there. REST API v2, fetch only (Node and Workers):
 *  - `POST /incidents/{id}/notes` `{note: {content}}`, `From: <user e-mail>` required
 *    (https://developer.pagerduty.com/api-reference/3df2b685a0dbc-create-a-note-on-an-incident);
 *  - `GET /incidents/{id}` and `PUT /incidents/{id}` `{incident: {type: "incident_reference",
 *    status: "resolved"}}`, `From` required;
 *  - `Authorization: Token token=<key>`, `Accept: application/vnd.pagerduty+json;version=2`.
 * 429 and 5xx are retried as ticket calls are (Retry-After honoured); any other answer is
 * reported in the thread, on the timeline and in the audit log.
 */

const ACTOR = "clawops";

/** PagerDuty refuses a note longer than this. */
const NOTE_MAX = 25_000;

/** The PagerDuty incidents of an alert, remembered on the host's open incident (once each). */
export async function linkPagerDutyIncidents(
  deps: CoreDeps,
  host: string,
  incidents: readonly { id: string; number: number | null; url: string | null }[],
): Promise<void> {
  for (const pd of incidents) {
    await noteTimeline(deps, host, {
      actor: "PagerDuty",
      kind: "pagerduty",
      text: `raised by PagerDuty incident${pd.number !== null ? ` #${pd.number}` : ""} ${pd.id}${pd.url ? ` ${pd.url}` : ""}`,
      ref: `${PAGERDUTY_REF}${pd.id}`,
    });
  }
}

function headers(pd: PagerDutyServices, json: boolean): Record<string, string> {
  return {
    authorization: `Token token=${pd.token}`,
    accept: "application/vnd.pagerduty+json;version=2",
    from: pd.from,
    ...(json ? { "content-type": "application/json" } : {}),
  };
}

const base = (pd: PagerDutyServices) => pd.apiUrl.replace(/\/+$/, "");

async function pdRequest(pd: PagerDutyServices, what: string, path: string, init: RequestInit): Promise<Response> {
  const retry = pd.retry ?? { attempts: 3, baseMs: 1_000 };
  return withRetry(retry.attempts, retry.baseMs, async () => {
    const res = await call(pd.fetch ?? fetch, `${base(pd)}${path}`, init);
    await expectOk(res, what);
    return res;
  });
}

/** The note a triage leaves on the PagerDuty incident: plain text, as PagerDuty shows notes. */
export function triageNote(incident: Incident, t: TriageReading): string {
  const layers = failingLayers(t);
  const lines = [
    `clawops triage of ${incident.hosts.join(", ")} (job ${t.jobId}, ${t.status}, ${utc(t.at)} UTC)`,
    layers.length ? `Failing layers: ${layers.join("; ")}` : "No failing layer.",
    ...(t.findings.length
      ? [
          "Findings, most likely cause first:",
          ...t.findings
            .slice(0, 5)
            .map((f, n) => `${n + 1}. ${f.title} (${f.id}, ${f.layer.replace("_", " ")}, ${f.severity})`),
        ]
      : ["No finding."]),
    ...t.findings
      .filter((f) => f.falseGreen)
      .slice(0, 1)
      .map((f) => `False green: ${f.falseGreen}`),
    `clawops incident ${incident.id}${incident.channel ? `; its thread is in Slack channel ${incident.channel}` : ""}.`,
  ];
  return lines.join("\n").slice(0, NOTE_MAX);
}

/**
 * After a triage job: its summary as a note on every PagerDuty incident the host's open
 * incident came from. Nothing when PagerDuty is not configured or the incident came from
 * elsewhere; a note per triage job, never two (a claim in the store). Never throws.
 */
export async function notePagerDutyTriage(deps: CoreDeps, jobId: string, host: string): Promise<void> {
  const pd = deps.pagerduty;
  if (!pd) return;
  try {
    const open = await deps.store.findOpenIncident(host);
    if (!open) return;
    const story = await readStory(deps, open.id);
    const triage = story.triages.find((t) => t.jobId === jobId);
    if (!triage || story.pagerduty.length === 0) return;
    const content = triageNote(story.incident, triage);
    const scan = await secondScan([{ where: "PagerDuty note", text: content }]);
    for (const link of story.pagerduty) {
      const now = deps.clock.now();
      if (!(await deps.store.claim(`pagerduty-note:${jobId}:${link.id}`, now, now + 7 * 24 * 3_600_000))) continue;
      if (scan.hits.length > 0) {
        await writeBackFailed(
          deps,
          story.incident,
          link,
          "note",
          `its text looked like it held a secret (${describeHits(scan.hits)}); nothing was sent`,
        );
        continue;
      }
      try {
        await pdRequest(pd, `PagerDuty note on ${link.id}`, `/incidents/${encodeURIComponent(link.id)}/notes`, {
          method: "POST",
          headers: headers(pd, true),
          body: JSON.stringify({ note: { content } }),
        });
        await noteIncidentEvent(deps, story.incident, {
          actor: ACTOR,
          kind: "pagerduty",
          text: `triage ${jobId} summary added as a note on PagerDuty incident ${label(link)}`,
          ref: `${PAGERDUTY_REF}${link.id}`,
        });
        await auditPd(deps, story.incident, "pagerduty.note", "ok", `note on ${link.id} (triage ${jobId})`);
      } catch (err) {
        await writeBackFailed(deps, story.incident, link, "note", errorMessage(err));
      }
    }
  } catch (err) {
    deps.logger.error("pagerduty note failed", { host, job: jobId, err: errorMessage(err) });
  }
}

/**
 * After `incident <id> resolve` (authorized, done): with CLAWOPS_PAGERDUTY_RESOLVE, each
 * PagerDuty incident it came from is resolved there too, unless PagerDuty has it resolved
 * already. Never throws: what happened is told in the thread, the timeline and the audit log.
 */
export async function resolvePagerDuty(deps: CoreDeps, incident: Incident, actor: string): Promise<void> {
  const pd = deps.pagerduty;
  if (!pd?.resolve) return;
  try {
    const story = await readStory(deps, incident.id);
    for (const link of story.pagerduty) {
      try {
        const path = `/incidents/${encodeURIComponent(link.id)}`;
        const current = await pdRequest(pd, `PagerDuty incident ${link.id}`, path, {
          method: "GET",
          headers: headers(pd, false),
        });
        const status = ((await current.json().catch(() => null)) as { incident?: { status?: unknown } } | null)
          ?.incident?.status;
        if (status === "resolved") {
          await noteIncidentEvent(deps, story.incident, {
            actor: ACTOR,
            kind: "pagerduty",
            text: `PagerDuty incident ${label(link)} was resolved there already`,
            ref: `${PAGERDUTY_REF}${link.id}`,
          });
          continue;
        }
        await pdRequest(pd, `PagerDuty resolve of ${link.id}`, path, {
          method: "PUT",
          headers: headers(pd, true),
          body: JSON.stringify({ incident: { type: "incident_reference", status: "resolved" } }),
        });
        await noteIncidentEvent(deps, story.incident, {
          actor,
          kind: "pagerduty",
          text: `resolved PagerDuty incident ${label(link)} with the clawops incident`,
          ref: `${PAGERDUTY_REF}${link.id}`,
        });
        await auditPd(deps, story.incident, "pagerduty.resolve", "ok", `resolved ${link.id} (by ${actor})`, actor);
        await tellThread(deps, story.incident, `✅ PagerDuty incident ${label(link)} resolved too.`);
      } catch (err) {
        await writeBackFailed(deps, story.incident, link, "resolve", errorMessage(err));
      }
    }
  } catch (err) {
    deps.logger.error("pagerduty resolve failed", { incident: incident.id, err: errorMessage(err) });
  }
}

const label = (link: PagerDutyLink) => (link.number !== null ? `#${link.number} (${link.id})` : link.id);

async function writeBackFailed(
  deps: CoreDeps,
  incident: Incident,
  link: PagerDutyLink,
  what: "note" | "resolve",
  why: string,
): Promise<void> {
  deps.logger.warn(`pagerduty ${what} failed`, { incident: incident.id, pagerduty: link.id, err: why });
  const words = what === "note" ? "The triage summary was not added as a note on" : "Not resolved in PagerDuty:";
  await noteIncidentEvent(deps, incident, {
    actor: ACTOR,
    kind: "pagerduty",
    text: `${words} PagerDuty incident ${label(link)}: ${why}`.slice(0, 500),
    ref: `${PAGERDUTY_REF}${link.id}`,
  });
  await auditPd(deps, incident, `pagerduty.${what}`, "error", `${link.id}: ${why}`.slice(0, 500));
  await tellThread(deps, incident, `⚠️ ${words} PagerDuty incident ${label(link)}: ${why}`);
}

async function auditPd(
  deps: CoreDeps,
  incident: Incident,
  action: string,
  outcome: "ok" | "error",
  detail: string,
  actor = ACTOR,
): Promise<void> {
  await audit(deps, {
    at: deps.clock.now(),
    actor,
    source: "system",
    action,
    host: incident.hosts[0] ?? null,
    outcome,
    detail,
    ref: incident.id,
  });
}
