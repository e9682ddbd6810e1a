import { z } from "zod";
import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { noteIncidentEvent } from "../incidents/record.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";
import { scrubPatterns } from "../secret-scrub.ts";
import { tellThread } from "./thread.ts";

/**
 * Tickets both ways, inward (issue 41, item 4): a Jira issue clawops opened or commented on for
 * an incident is closed or reopened in Jira, and Jira's webhook (`jira:issue_updated` with a
 * status change in its changelog) tells the incidents the ticket tracks (the one that opened it
 * and those that commented on it): a line on each timeline, and one in each thread still open. The ticket's state here follows (closed frees the host and finding
 * for a new ticket). Anything else is answered with why it was ignored, and changes nothing.
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
 */

/** What clawops reads of Jira's issue event; zod drops the rest (the issue's fields are large and not ours). */
export const JiraIssueEventSchema = z.object({
  /** Milliseconds since the epoch, when Jira sent it. */
  timestamp: z.number(),
  webhookEvent: z.string().max(100),
  issue: z
    .object({
      key: z.string().regex(/^[A-Z][A-Z0-9_]{0,30}-\d{1,9}$/),
      fields: z
        .object({
          status: z
            .object({
              name: z.string().max(200).optional(),
              statusCategory: z.object({ key: z.string().max(50).optional() }).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  user: z.object({ displayName: z.string().max(300).optional() }).optional(),
  changelog: z
    .object({
      id: z.string().max(50).optional(),
      items: z
        .array(
          z.object({
            field: z.string().max(200).optional(),
            fieldId: z.string().max(200).optional(),
            fromString: z.string().max(300).nullable().optional(),
            toString: z.string().max(300).nullable().optional(),
          }),
        )
        .max(200)
        .optional(),
    })
    .optional(),
});
export type JiraIssueEvent = z.infer<typeof JiraIssueEventSchema>;

export type JiraEventOutcome =
  | { status: "noted"; key: string; change: "closed" | "reopened" | "moved"; incidents: string[] }
  | { status: "ignored"; reason: string };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export async function takeJiraIssueEvent(deps: CoreDeps, event: JiraIssueEvent): Promise<JiraEventOutcome> {
  if (event.webhookEvent !== "jira:issue_updated" || !event.issue) {
    return { status: "ignored", reason: `${clip(event.webhookEvent, 60)} is not an issue update` };
  }
  const key = event.issue.key;
  const item = (event.changelog?.items ?? []).find((i) => i.fieldId === "status" || i.field === "status");
  if (!item) return { status: "ignored", reason: `${key}'s update changed no status` };
  const tickets = await deps.store.ticketsByKey("jira", key);
  if (tickets.length === 0) return { status: "ignored", reason: `clawops keeps no ticket ${key}` };

  const done = event.issue.fields?.status?.statusCategory?.key === "done";
  const wasClosed = tickets.some((t) => t.state === "closed");
  const change = done ? "closed" : wasClosed ? "reopened" : "moved";
  // Words a person typed in Jira (status names, a display name): pattern-scrubbed and capped as every text is.
  const from = scrubPatterns(clip(item.fromString ?? "?", 60));
  const to = scrubPatterns(clip(item.toString ?? event.issue.fields?.status?.name ?? "?", 60));
  const who = event.user?.displayName ? ` by ${scrubPatterns(clip(event.user.displayName, 80))}` : "";
  const verb = change === "closed" ? "closed" : change === "reopened" ? "reopened" : "moved";
  const text = `${key} ${verb} in Jira (${from} → ${to})${who}`;
  const now = deps.clock.now();
  const noted: string[] = [];
  for (const t of tickets) {
    // Only on a real change of state: a reopened ticket is open here again, a done one closed.
    if (change === "closed" && t.state !== "closed")
      await deps.store.updateTicket(t.id, { state: "closed", updatedAt: now });
    if (change === "reopened" && t.state === "closed")
      await deps.store.updateTicket(t.id, { state: "open", updatedAt: now });
    // Every incident the ticket tracks: the one that opened it and those that commented on it since.
    const linked = await deps.store.ticketIncidents(t.id);
    for (const id of linked.includes(t.incidentId) ? linked : [t.incidentId, ...linked]) {
      if (noted.includes(id)) continue;
      const incident = await noteIncidentEvent(deps, id, { actor: "Jira", kind: "ticket", text, ref: t.id });
      if (!incident) continue;
      noted.push(incident.id);
      if (incident.state !== "resolved") await tellThread(deps, incident, `🎫 ${text}.`);
      await auditEvent(deps, incident, `jira.${change}`, text, t.id);
    }
  }
  return { status: "noted", key, change, incidents: noted };
}

async function auditEvent(deps: CoreDeps, incident: Incident, action: string, detail: string, ref: string) {
  await audit(deps, {
    at: deps.clock.now(),
    actor: "Jira",
    source: "system",
    action,
    host: incident.hosts[0] ?? null,
    outcome: "ok",
    detail: `incident ${incident.id}: ${detail}`.slice(0, 500),
    ref,
  }).catch((err: unknown) => deps.logger.warn("jira event not audited", { err: errorMessage(err) }));
}
