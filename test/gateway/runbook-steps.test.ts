import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult, StepResultOf } from "../../src/contract/catalog.ts";
import { sharedGateway } from "../support/gateway/control.ts";

/**
 * The recovery runbook's gateway calls against the real OpenClaw gateway: what is in flight
 * (sessions, tasks, cron jobs due) and the acceptance test (one read, one write, cleaned up).
 */
const gw = sharedGateway();
const driftToken = `drift-${randomBytes(12).toString("hex")}`;

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
  expect(JSON.stringify(all)).not.toContain(driftToken);
  return {
    inflight: inflight as StepResultOf<"gateway.inflight">,
    acceptance: acceptance as StepResultOf<"gateway.acceptance">,
  };
}

afterAll(async () => {
  await gw.restoreHealthy();
});

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

  it("fails acceptance (and cannot read in-flight work) while the gateway runs with a drifted token", async () => {
    await gw.restart({ extraArgs: ["--token", driftToken] });
    const drift = await run();
    expect(drift.inflight.data?.reachable).toBe(false);
    expect(drift.acceptance.data).toMatchObject({ reachable: false, passed: false, read: null, write: null });
    expect(drift.acceptance.data?.error).toMatch(/auth|token|unauthori/i);
  });
});
