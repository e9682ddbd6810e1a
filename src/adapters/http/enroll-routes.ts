import { Hono } from "hono";
import { z } from "zod";
import type { CoreDeps } from "../../core/deps.ts";
import { ClawopsError } from "../../core/errors.ts";
import { enrollHost } from "../../core/hub/enrollment.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

const EnrollBody = z.object({
  code: z.string().min(4).max(64),
  host: z.string().min(1).max(100),
  publicKey: z.string().max(100),
});

/**
 * `POST /api/enroll`: an agent trades a one-time enrollment code for a place in the fleet.
 * The code is the proof of identity; the agent's public key is what it signs hellos with.
 */
export function enrollRoutes(deps: CoreDeps) {
  const app = new Hono();
  app.post("/enroll", capBody(BODY_LIMITS.enroll), async (c) => {
    const parsed = EnrollBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {code, host, publicKey}.");
    const result = await enrollHost(deps, parsed.data);
    deps.logger.info("host enrolled", { host: result.host });
    // Agents pin this key at enrollment and accept mutating steps only with approvals it signed.
    return c.json({ ok: true, host: result.host, approvalKey: deps.recovery?.approvalKey?.publicKey ?? null });
  });
  return app;
}
