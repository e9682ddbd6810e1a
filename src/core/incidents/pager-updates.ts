import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";
import { moveIncidentAndTell } from "./pipeline.ts";
import { noteIncidentEvent } from "./record.ts";

/**
 * Back from PagerDuty (issue 40, item 2): a v3 webhook event about an incident clawops paged
 * (its `incident_key` is the dedup key clawops sent: a clawops incident id) moves that incident
 * here: `incident.acknowledged` makes the acknowledger its owner, `incident.resolved` resolves
 * it, each on the timeline with who, audited, and not sent back to PagerDuty. The page's own
 * `incident.triggered` is linked, not raised again as an alert. A key that looks like clawops'
 * but names no incident clawops knows is ignored with the reason. Null: not about a page of
 * clawops' (the alert path takes it).
 */
export type PagerUpdate =
  | { status: "moved"; incident: string; did: "acknowledged" | "resolved" }
  | { status: "noted"; incident: string; did: string }
  | { status: "ignored"; reason: string };

/** What clawops sends as the dedup key: its incident ids (`inc_…`). */
const OWN_KEY = /^inc_[A-Za-z0-9]+$/;

export async function takePagerDutyUpdate(
  deps: CoreDeps,
  event: { id: string; event_type: string; data: Record<string, unknown>; agent?: unknown },
): Promise<PagerUpdate | null> {
  const key = typeof event.data.incident_key === "string" ? event.data.incident_key : null;
  if (!key || !OWN_KEY.test(key)) return null;
  const incident = await deps.store.getIncident(key);
  if (!incident) {
    deps.logger.warn("pagerduty event for an incident clawops does not know", { key, event: event.event_type });
    return { status: "ignored", reason: `no clawops incident ${key} (deleted, or paged by another clawops)` };
  }
  const who = agentName(event.agent);
  const pd = describePagerDutyIncident(event.data);
  switch (event.event_type) {
    case "incident.acknowledged":
      return move(deps, incident, "acknowledged", who, pd);
    case "incident.resolved":
      return move(deps, incident, "resolved", who, pd);
    case "incident.triggered":
    case "incident.reopened":
      await noteIncidentEvent(deps, incident, {
        actor: "PagerDuty",
        kind: "page",
        text: `PagerDuty ${event.event_type === "incident.triggered" ? "opened" : "reopened"} ${pd} for this page`,
      });
      return { status: "noted", incident: incident.id, did: event.event_type };
    default:
      return { status: "noted", incident: incident.id, did: event.event_type };
  }
}

async function move(
  deps: CoreDeps,
  incident: Incident,
  to: "acknowledged" | "resolved",
  who: string,
  pd: string,
): Promise<PagerUpdate> {
  const actor = `PagerDuty (${who})`;
  if (incident.state === "resolved" || (to === "acknowledged" && incident.state === "acknowledged")) {
    await noteIncidentEvent(deps, incident, {
      actor,
      kind: "page",
      text: `${to} in PagerDuty (${pd}); already ${incident.state} here`,
    });
    return { status: "noted", incident: incident.id, did: `already ${incident.state}` };
  }
  try {
    await moveIncidentAndTell(deps, incident.id, to, actor, { page: false });
  } catch (err) {
    // Resolved meanwhile (record.ts refuses a second resolve): the record already says so.
    return { status: "ignored", reason: errorMessage(err).slice(0, 200) };
  }
  await noteIncidentEvent(deps, incident.id, { actor, kind: "page", text: `${to} in PagerDuty: ${pd}` });
  await audit(deps, {
    at: deps.clock.now(),
    actor,
    source: "system",
    action: to === "acknowledged" ? "incident.ack" : "incident.resolve",
    host: incident.hosts[0] ?? null,
    outcome: "ok",
    detail: `${incident.id} ${to} from PagerDuty (${pd})`.slice(0, 500),
    ref: incident.id,
  });
  return { status: "moved", incident: incident.id, did: to };
}

/** Who did it in PagerDuty: the agent's summary (a user's name), else its type. */
function agentName(agent: unknown): string {
  const a = agent as { summary?: unknown; type?: unknown } | null | undefined;
  const name = typeof a?.summary === "string" ? a.summary : typeof a?.type === "string" ? a.type : "PagerDuty";
  return name.replace(/[<>*_`~|]/g, "").slice(0, 80);
}

function describePagerDutyIncident(data: Record<string, unknown>): string {
  const n = typeof data.number === "number" ? ` #${data.number}` : "";
  const id = typeof data.id === "string" ? ` ${data.id.slice(0, 40)}` : "";
  return `incident${n}${id}`.trim();
}
