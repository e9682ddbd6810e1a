import type { Hono } from "hono";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { incidentListView, incidentPageView, parseListQuery } from "../console/incident-views.ts";

/**
 * The console's incident pages as JSON (issue 41, item 6; console/incident-views.ts): the list
 * with its filters, and one incident with everything its page shows. Registered after the
 * console's guards (console-routes.ts), so every call has proved it is the console (a session
 * and its key, or the console secret) before anything is read. Reads only: the buttons on the
 * page go through the console's press route, which authorizes and audits them.
 */
export function incidentPageRoutes(app: Hono, deps: CoreDeps): void {
  app.get("/api/console/incident-pages", async (c) =>
    c.json(await incidentListView(deps, parseListQuery(c.req.query()))),
  );
  app.get("/api/console/incident-pages/:id", async (c) => c.json(await incidentPageView(deps, c.req.param("id"))));
}
