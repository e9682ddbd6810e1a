import { Hono } from "hono";
import { type EnrollAnswer, EnrollRequest } from "../../contract/enroll.ts";
import { ClawopsError } from "../../core/errors.ts";
import { enrollHost } from "../../core/hub/enrollment.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";
import { SlidingWindow } from "./sliding-window.ts";

/**
 * Failed enrollments allowed per minute, across all callers. A code is 60 random bits, so
 * guessing was hopeless at 3,000 tries a second already; the cap keeps the log and the store
 * quiet under a guessing run. Its price: while a run is going, a real enrollment waits up
 * to a minute (the answer says how long).
 */
const ENROLL_FAILURES_PER_MINUTE = 30;

/**
 * `POST /api/enroll`: an agent trades a one-time enrollment code for a place in the fleet.
 * The code is the proof of identity; the agent's public key is what it signs hellos with.
 */
export function enrollRoutes(deps: CoreDeps) {
  const app = new Hono();
  const failures = new SlidingWindow(ENROLL_FAILURES_PER_MINUTE, 60_000);
  app.post("/enroll", capBody(BODY_LIMITS.enroll), async (c) => {
    const wait = failures.blockedForMs(deps.clock.now());
    if (wait > 0) {
      c.header("retry-after", String(Math.ceil(wait / 1000)));
      throw new ClawopsError(
        "too_many_attempts",
        `Too many failed enrollments in the last minute; try again in ${Math.ceil(wait / 1000)} s.`,
        { status: 429 },
      );
    }
    const parsed = EnrollRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {code, host, publicKey}.");
    let result: Awaited<ReturnType<typeof enrollHost>>;
    try {
      result = await enrollHost(deps, parsed.data);
    } catch (err) {
      if (err instanceof ClawopsError && err.code === "enrollment_code_invalid") failures.add(deps.clock.now());
      throw err;
    }
    deps.logger.info("host enrolled", { host: result.host });
    // Agents pin this key at enrollment and accept mutating steps only with approvals it signed.
    const answer: EnrollAnswer = {
      ok: true,
      host: result.host,
      approvalKey: deps.recovery.approvalKey?.publicKey ?? null,
    };
    return c.json(answer);
  });
  return app;
}
