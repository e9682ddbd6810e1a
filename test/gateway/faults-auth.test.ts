import { readFile, writeFile } from "node:fs/promises";
import JSON5 from "json5";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { connectGateway, type Handshake } from "../../src/agent/probes/gateway-ws-client.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { type GatewayWsData, STEP_NAMES, type StepResult, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { sharedGateway } from "../support/gateway/control.ts";

/**
 * Live proofs for the handshake/close-code rules and for a hanging gateway: the fault is made on
 * the shared real gateway, the frames are the gateway's own, and the classifier's top finding is
 * asserted. Every test puts the gateway back (config restored, SIGCONT, restoreHealthy).
 */
const gw = sharedGateway();

/** The live handshake as the gateway.ws step reports it, on an otherwise healthy evidence set. */
function classifyHandshake(h: Handshake) {
  const d = healthyData();
  const ws: GatewayWsData = {
    url: gw.url,
    outcome: h.outcome,
    challenged: h.challenged,
    tokenSource: null,
    ...(h.error ? { error: h.error } : {}),
    ...(h.close ? { close: h.close } : {}),
  };
  d.ws = ws;
  return classifyResults(toResults(d), STEP_NAMES);
}

afterEach(async () => {
  await gw.restoreHealthy();
});
afterAll(async () => {
  await gw.restoreHealthy();
});

describe("live handshake faults on the real gateway", () => {
  it("connect without a token and without a device: DEVICE_IDENTITY_REQUIRED → token-missing, not pairing", async () => {
    const h = await connectGateway({ url: gw.url, token: undefined, timeoutMs: 10_000, clientVersion: "0.0.0-test" });
    expect(h.outcome).toBe("rejected");
    expect(h.error?.detailCode).toBe("DEVICE_IDENTITY_REQUIRED");
    expect(h.close?.code).toBe(1008);
    const c = classifyHandshake(h);
    expect(c.findings[0]?.id).toBe("token-missing");
    expect(c.findings.map((f) => f.id)).not.toContain("pairing-required");
    expect(c.matrix.auth.status).toBe("fail");
  });

  it("gateway.auth.token changed while connected: the session closes 4001 → close-4001-auth-changed", async () => {
    const original = await readFile(gw.configPath, "utf8");
    const h = await connectGateway({ url: gw.url, token: gw.token, timeoutMs: 15_000, clientVersion: "0.0.0-test" });
    expect(h.outcome).toBe("hello-ok");
    const conn = h.connection;
    if (!conn) throw new Error("no open connection after hello-ok");
    try {
      const config = JSON5.parse(original) as { gateway: { auth: { token: string } } };
      config.gateway.auth.token = `${gw.token}-rotated`;
      await writeFile(gw.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      const close = await Promise.race([
        conn.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no close within 30 s")), 30_000)),
      ]);
      expect(close).toEqual({ code: 4001, reason: "gateway auth changed" });
      const c = classifyHandshake({ outcome: "closed", challenged: true, close });
      expect(c.findings.map((f) => [f.id, f.severity])).toEqual([["close-4001-auth-changed", "warn"]]);
      expect(JSON.stringify(c)).not.toContain(gw.token);
    } finally {
      conn.close();
      await writeFile(gw.configPath, original, { mode: 0o600 });
    }
  });
});

describe("a gateway that hangs (SIGSTOP for a bounded time)", () => {
  it("the real ws/http probes end at their deadline: transport is not ok, nothing crashes, no confident wrong cause", async () => {
    const { pid } = await gw.state();
    if (!pid) throw new Error("shared gateway has no pid");
    const ctx = resolveProbeContext(
      { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin },
      { agentVersion: "0.0.0-test", serviceUnitDirs: [] },
    );
    const steps = TRIAGE_STEPS.filter((s) => s.step === "gateway.ws" || s.step === "gateway.http");
    let results: StepResult[] = [];
    process.kill(pid, "SIGSTOP");
    try {
      results = await runSteps(ctx, steps, { deadlineMs: 20_000 });
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(results.map((r) => r.step).sort()).toEqual(["gateway.http", "gateway.ws"]);
    const c = classifyResults(
      results,
      steps.map((s) => s.step),
    );
    expect(["fail", "unknown"]).toContain(c.matrix.transport.status);
    expect(c.matrix.transport.reason.length).toBeGreaterThan(0);
    // Nothing that needs an answer from the gateway may be claimed about a frozen one.
    const ids = c.findings.map((f) => f.id);
    for (const wrong of ["token-drift", "token-missing", "gateway-down", "protocol-mismatch", "pairing-required"])
      expect(ids).not.toContain(wrong);
    if (c.findings[0]) expect(c.findings[0].id).toBe("gateway-unresponsive");
  });
});
