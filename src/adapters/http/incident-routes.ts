import type { Hono } from "hono";
import { distinctSignals } from "../../core/incidents/fired.ts";
import { requireIncident } from "../../core/incidents/record.ts";
import { incidentReport, parseSince } from "../../core/incidents/report.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { postmortemOf } from "../../core/tickets/draft.ts";

/**
 * The incident records as JSON, what `clawops incidents --json` and `clawops incident <id>
 * --json` read. Registered after the console's guards (console-routes.ts), so every call has
 * proved it is the console before it is answered. Reads only: moves go through the command
 * route, which authorizes and audits them.
 */
export function incidentRoutes(app: Hono, deps: CoreDeps): void {
  app.get("/api/console/incidents", async (c) => {
    const scope = c.req.query("scope") ?? "open";
    const incidents = await deps.store.listIncidents({ open: scope !== "all", limit: 200 });
    return c.json({ ok: true, scope: scope === "all" ? "all" : "open", incidents });
  });
  app.get("/api/console/incidents/:id", async (c) => {
    const incident = await requireIncident(deps, c.req.param("id"));
    const timeline = await deps.store.incidentTimeline(incident.id);
    const tickets = await deps.store.incidentTickets(incident.id);
    return c.json({ ok: true, incident, timeline, tickets });
  });
  // `clawops incident <id> --signals --json`: every signal it took and what became of it (issue 40, item 6).
  app.get("/api/console/incidents/:id/signals", async (c) => {
    const incident = await requireIncident(deps, c.req.param("id"));
    const signals = await deps.store.listSignals({ incidentId: incident.id });
    return c.json({ ok: true, incident: incident.id, fired: distinctSignals(signals), signals });
  });
  // `clawops report --since 30d --json` (issue 40, item 7).
  app.get("/api/console/report", async (c) => {
    return c.json({ ok: true, report: await incidentReport(deps, parseSince(c.req.query("since"))) });
  });
  // `clawops postmortem <id> --md`: the draft, as `/openclaw postmortem <id>` posts it (issue 29, item 8).
  app.get("/api/console/incidents/:id/postmortem", async (c) => {
    const { filename, markdown } = await postmortemOf(deps, c.req.param("id"));
    return c.json({ ok: true, filename, markdown });
  });
}
