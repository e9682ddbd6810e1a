import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult, StepResultOf } from "../../src/contract/catalog.ts";
import { sharedGateway } from "../support/gateway/control.ts";

/**
 * The recovery runbook's gateway calls against the real OpenClaw gateway: what is in flight
 * (sessions, tasks, cron jobs due) and the acceptance test (one read, one write, cleaned up).
 * The same calls on a drifted token are asserted in restart-supervised.test.ts, on the gateway that
 * file runs drifted anyway: here they would cost the shared gateway two starts.
 */
const gw = sharedGateway();

async function run(): Promise<{
  inflight: StepResultOf<"gateway.inflight">;
  acceptance: StepResultOf<"gateway.acceptance">;
}> {
  const ctx = resolveProbeContext(gw.env, {
    openclawBin: gw.openclawBin,
    agentVersion: "0.0.0-test",
    serviceUnitDirs: [join(gw.env.HOME, ".config/systemd/user")],
  });
  // In flight first, then acceptance: as the runbook orders them.
  const [inflight] = await runSteps(ctx, [{ step: "gateway.inflight", args: { dueWithinMs: 86_400_000 } }], {
    deadlineMs: 30_000,
  });
  const [acceptance] = await runSteps(ctx, [{ step: "gateway.acceptance", args: {} }], { deadlineMs: 30_000 });
  const all: (StepResult | undefined)[] = [inflight, acceptance];
  expect(JSON.stringify(all)).not.toContain(gw.token);
  return {
    inflight: inflight as StepResultOf<"gateway.inflight">,
    acceptance: acceptance as StepResultOf<"gateway.acceptance">,
  };
}

describe("runbook gateway calls", () => {
  it("reads what is in flight and passes read + write acceptance on a healthy gateway, leaving no scratch session", async () => {
    await gw.restoreHealthy();
    const first = await run();
    expect(first.inflight.status).toBe("ok");
    expect(first.inflight.data).toMatchObject({ reachable: true, sessions: { count: expect.any(Number) } });
    expect(first.inflight.data?.error).toBeUndefined();
    // A fresh lab has its default cron job (memory dreaming promotion, daily at 03:00): due within a day.
    expect(first.inflight.data?.cron?.jobs).toBeGreaterThanOrEqual(1);
    expect(first.inflight.data?.cron?.dueSoon.length).toBeGreaterThanOrEqual(1);
    expect(first.acceptance.data).toMatchObject({
      reachable: true,
      passed: true,
      read: { method: "status", ok: true },
      write: { method: "sessions.create", ok: true },
      cleanup: { method: "sessions.delete", ok: true },
    });
    // The write was cleaned up: the session count is what it was.
    const second = await run();
    expect(second.inflight.data?.sessions?.count).toBe(first.inflight.data?.sessions?.count);
    expect(second.acceptance.data?.passed).toBe(true);
  });
});
