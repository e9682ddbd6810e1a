import type { Hono } from "hono";
import { collectExpiries } from "../../core/expiries/collect.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";

/**
 * The expiry calendar as JSON, what `clawops expiries --json` reads (issue 42, item 3): the same
 * reading `/openclaw expiries` posts, dates and fingerprints only. Registered after the console's
 * guards (console-routes.ts), so every call has proved it is the console before it is answered.
 */
export function expiryRoutes(app: Hono, deps: CoreDeps): void {
  app.get("/api/console/expiries", async (c) => c.json({ ok: true, ...(await collectExpiries(deps)) }));
}
