import { clip, escapeMrkdwn } from "../../../messages/build.ts";
import type { RunbookContext } from "../context.ts";
import type { StepEnd } from "../step.ts";
import { snapshotOf } from "./snapshot.ts";

/**
 * Before the restart (issue 30, class 12): a service definition that no longer starts what runs
 * now. Its start command points at a path that is gone, or at another OpenClaw than the one
 * installed: the supervisor's restart would fail, or start something else. The run stops before
 * asking anyone to confirm it, and says what to fix.
 */
const DRIFT = ["service-start-broken", "service-runs-other-version"];

export function serviceDriftGate(ctx: RunbookContext): Exclude<StepEnd, "next"> | null {
  const drift = snapshotOf(ctx).c12n.findings.filter((f) => DRIFT.includes(f.id));
  if (drift.length === 0) return null;
  const lines = drift.flatMap((f) => f.evidence.slice(0, 3));
  const detail = escapeMrkdwn(clip(lines.join("; "), 300));
  return {
    fail: `not restarted: the service definition would start something else (${detail})`,
    why:
      `the restart would start something else: ${detail}. Point the service at the installed OpenClaw ` +
      "(`openclaw gateway install --force`, then `systemctl --user daemon-reload`), then run recover again.",
  };
}
