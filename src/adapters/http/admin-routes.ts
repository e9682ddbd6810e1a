import { Hono } from "hono";
import { z } from "zod";
import { offerEnrollment } from "../../core/commands/enroll.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { mrkdwnToText } from "../console/text.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";
import { bearerGuard } from "./ops-routes.ts";

export const ADMIN_TOKEN_VARIABLE = "CLAWOPS_ADMIN_TOKEN";

/** `render`: the answer also as terminal text (`terminal`), for the CLI, as the console API does. */
const EnrollmentCodeRequest = z.object({
  host: z.string().min(1).max(200),
  render: z.enum(["plain", "ansi"]).optional(),
});

/**
 * The operator API, `POST /api/admin/enrollment-codes` `{host}`: a one-time enrollment code and
 * the install command, for `clawops enroll <host>` against a control plane that serves Slack
 * (no console there) and for scripts. Bearer CLAWOPS_ADMIN_TOKEN, checked before the body is
 * read; off (503, saying how to turn it on) while unset. Both runtimes serve it; the answer says
 * the same as `/openclaw enroll` does, and the code is audited like it.
 */
export function adminRoutes(deps: CoreDeps, opts: { token: string | undefined; off: string }) {
  const app = new Hono();
  const admin = bearerGuard({
    token: opts.token,
    variable: ADMIN_TOKEN_VARIABLE,
    realm: "clawops operator API",
    off: opts.off,
  });
  app.post("/admin/enrollment-codes", admin, capBody(BODY_LIMITS.adminEnrollmentCode), async (c) => {
    const parsed = EnrollmentCodeRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {host}.");
    const offer = await offerEnrollment(deps, parsed.data.host, { actor: "admin-api", source: "system" });
    deps.logger.info("enrollment code issued", { host: offer.host, via: "operator API" });
    return c.json({
      ok: true,
      host: offer.host,
      code: offer.code,
      expiresAt: offer.expiresAt,
      command: offer.command,
      text: offer.text,
      ...(parsed.data.render ? { terminal: mrkdwnToText(offer.text, { ansi: parsed.data.render === "ansi" }) } : {}),
    });
  });
  return app;
}
