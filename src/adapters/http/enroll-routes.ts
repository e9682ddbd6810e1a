import { Hono } from "hono";
import { type EnrollAnswer, EnrollRequest } from "../../contract/enroll.ts";
import { ClawopsError } from "../../core/errors.ts";
import { enrollHost } from "../../core/hub/enrollment.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";
import { SlidingWindow } from "./sliding-window.ts";
import { type ClientAddress, SourceWindows, UNKNOWN_SOURCE } from "./source-limits.ts";

/**
 * Failed enrollments a minute from one source: past them that source gets 429 before its code
 * is read. A code is 60 random bits, so guessing was hopeless at 3,000 tries a second already;
 * the caps keep the store quiet under a guessing run.
 */
export const ENROLL_FAILURES_PER_SOURCE_PER_MINUTE = 10;
/**
 * Failed enrollments a minute from everywhere: past them a source that has failed in the last
 * minute gets 429 before its code is read, while a source with no failure still has its code
 * checked. So a valid code is never refused because others guessed wrong (issue 32, item 5:
 * one window for all callers let 30 wrong codes a minute from anyone block every enrollment).
 */
export const ENROLL_FAILURES_PER_MINUTE = 30;

/**
 * `POST /api/enroll`: an agent trades a one-time enrollment code for a place in the fleet.
 * The code is the proof of identity; the agent's public key is what it signs hellos with.
 */
export function enrollRoutes(deps: CoreDeps, clientAddress: ClientAddress = () => UNKNOWN_SOURCE) {
  const app = new Hono();
  const bySource = new SourceWindows(ENROLL_FAILURES_PER_SOURCE_PER_MINUTE, 60_000);
  const everywhere = new SlidingWindow(ENROLL_FAILURES_PER_MINUTE, 60_000);
  app.post("/enroll", capBody(BODY_LIMITS.enroll), async (c) => {
    const now = deps.clock.now();
    const source = clientAddress(c);
    const own = bySource.blockedForMs(source, now);
    // While everyone's failures are over the cap, only a source with none of its own is heard.
    const global = bySource.count(source, now) > 0 ? everywhere.blockedForMs(now) : 0;
    const wait = Math.max(own, global);
    if (wait > 0) {
      c.header("retry-after", String(Math.ceil(wait / 1000)));
      throw new ClawopsError(
        "too_many_attempts",
        `Too many failed enrollments ${own > 0 ? "from this address" : "in the last minute"}; try again in ${Math.ceil(wait / 1000)} s.`,
        { status: 429 },
      );
    }
    const parsed = EnrollRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {code, host, publicKey}.");
    let result: Awaited<ReturnType<typeof enrollHost>>;
    try {
      result = await enrollHost(deps, parsed.data);
    } catch (err) {
      if (err instanceof ClawopsError && err.code === "enrollment_code_invalid") {
        bySource.add(source, now);
        everywhere.add(now);
      }
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
