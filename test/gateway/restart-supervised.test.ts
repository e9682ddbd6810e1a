import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { ApprovalKeyPair } from "../../src/contract/approval.ts";
import { type StepResultOf, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";
import { gatewayAtFileStart, LAB_DRIFT_TOKEN, sharedGateway } from "../support/gateway/control.ts";
import { LAB_TRIAGE_DEADLINE_MS } from "../support/gateway/readiness.ts";

/**
 * The ordered restart of a supervised gateway: the shared real gateway plays the main process of
 * the systemd user unit `openclaw-gateway.service`, and `systemctl` is the stand-in in
 * test/support/standin-bin (systemd is not PID 1 here), which restarts it through the harness.
 * The gateway runs with token drift (`--token <other>`), made at the file's start (or left so by
 * the file before it: sequencer.ts); the unit starts it from the config, so after the restart both
 * acceptance calls pass. The supervisor comes from the host's policy.json
 * (detection from cgroups is covered by test/unit/supervisor.test.ts).
 */
const HOST = "node-3";
const UNIT = "openclaw-gateway.service";
const gw = sharedGateway();
gatewayAtFileStart("drifted");
const drift = LAB_DRIFT_TOKEN;
let agentDir: string;
let logFile: string;
let ctx: ProbeContext;
let key: ApprovalKeyPair;

function policy(unit: string): void {
  writeFileSync(
    join(agentDir, "policy.json"),
    JSON.stringify({ allow: ["gateway.restart"], supervisor: { kind: "systemd", unit, user: true } }),
  );
}

async function restart(): Promise<StepResultOf<"gateway.restart">> {
  const approval = await testApproval(key, { host: HOST, step: "gateway.restart" });
  const [r] = await runSteps(ctx, [{ step: "gateway.restart", args: { approval } }], { deadlineMs: 120_000 });
  return r as StepResultOf<"gateway.restart">;
}

async function acceptance(): Promise<StepResultOf<"gateway.acceptance">> {
  const [r] = await runSteps(ctx, [{ step: "gateway.acceptance", args: {} }], { deadlineMs: 30_000 });
  return r as StepResultOf<"gateway.acceptance">;
}

async function serviceState(): Promise<StepResultOf<"service.state">> {
  const [r] = await runSteps(ctx, [{ step: "service.state", args: {} }], { deadlineMs: 20_000 });
  return r as StepResultOf<"service.state">;
}

const calls = (): string[][] =>
  readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv);

beforeAll(async () => {
  ({ agentDir, key } = await enrolledAgentDir(HOST));
  logFile = join(agentDir, "systemctl-calls.jsonl");
  writeFileSync(logFile, "");
  const control = inject("gatewayControl");
  ctx = resolveProbeContext(
    {
      ...gw.env,
      PATH: [resolve("test/support/standin-bin"), process.env.PATH].join(delimiter),
      CLAWOPS_STANDIN_SYSTEMD: JSON.stringify({
        unit: UNIT,
        user: true,
        controlUrl: control.url,
        controlToken: control.token,
        log: logFile,
        gatewayLog: gw.logPath,
      }),
    },
    {
      openclawBin: gw.openclawBin,
      agentVersion: "0.0.0-test",
      serviceUnitDirs: [join(gw.env.HOME, ".config/systemd/user")],
      agentDir,
    },
  );
}, 180_000);

afterAll(async () => {
  if (agentDir) rmSync(agentDir, { recursive: true, force: true });
}, 180_000);

describe("gateway.restart through systemd (systemctl --user restart <unit>)", () => {
  it("a unit the service manager does not know: the error names it and the gateway keeps running untouched", async () => {
    const before = await gw.state();
    // The drifted token, as the runbook's gateway calls meet it (they run here, on the gateway this
    // file drifts, rather than in runbook-steps, which would start the shared gateway twice more):
    // in-flight work cannot be read, and acceptance fails before it reads or writes anything.
    const [inflight] = await runSteps(ctx, [{ step: "gateway.inflight", args: { dueWithinMs: 86_400_000 } }], {
      deadlineMs: 30_000,
    });
    const drifted = await acceptance();
    expect(inflight?.step === "gateway.inflight" && inflight.data?.reachable).toBe(false);
    expect(drifted.data).toMatchObject({ reachable: false, passed: false, read: null, write: null });
    expect(drifted.data?.error).toMatch(/auth|token|unauthori/i);
    for (const secret of [drift, gw.token]) expect(JSON.stringify([inflight, drifted])).not.toContain(secret);
    policy("openclaw-gateway-old.service");
    const r = await restart();
    expect(r.data).toMatchObject({
      performed: false,
      supervisor: "systemd",
      supervisorSource: "declared",
      oldPid: before.pid,
      command: ["systemctl", "--user", "restart", "openclaw-gateway-old.service"],
    });
    expect(r.data?.error).toMatch(/exited 5: Failed to restart openclaw-gateway-old\.service: Unit .* not found/);
    expect(r.data?.error).toContain("the gateway was not touched");
    expect((await gw.state()).pid).toBe(before.pid);
  }, 60_000);

  it("the right unit: systemd restarts it, the old pid is gone, a new one serves, and drift is gone", async () => {
    const before = await gw.state();
    policy(UNIT);
    const r = await restart();
    expect(r.status).toBe("ok");
    expect(r.data?.error).toBeUndefined();
    expect(r.data).toMatchObject({
      performed: true,
      supervisor: "systemd",
      unit: `user unit ${UNIT}`,
      oldPid: before.pid,
      command: ["systemctl", "--user", "restart", UNIT],
      approver: "U0OWNER",
    });
    const after = await gw.state();
    expect(after.running).toBe(true);
    expect(r.data?.newPid).toBe(after.pid);
    expect(r.data?.newPid).not.toBe(before.pid);
    expect(r.data?.readyAfterMs).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain(drift);
    // The agent asked the service manager, exactly so, once per restart.
    expect(calls()).toEqual([
      ["--user", "restart", "openclaw-gateway-old.service"],
      ["--user", "restart", UNIT],
    ]);
    const a = await acceptance();
    expect(a.data).toMatchObject({ passed: true, read: { ok: true }, write: { ok: true } });
  }, 150_000);

  it("service.state: the unit's state, restart count and main pid, and the journal's signature lines", async () => {
    const { pid } = await gw.state();
    const r = await serviceState();
    expect(r.status).toBe("ok");
    expect(r.data).toMatchObject({
      supervisor: "systemd",
      source: "declared",
      unit: `user unit ${UNIT}`,
      listenerPid: pid,
      state: { active: "active", sub: "running", restarts: 1, mainPid: pid, lastExit: null },
    });
    expect(r.data?.command).toMatch(/^systemctl --user show openclaw-gateway\.service/);
    // The journal is the gateway's own console output: its last start is in it, dated.
    const ready = r.data?.journal?.signatures.find((s) => s.kind === "gateway-ready");
    expect(ready?.count).toBeGreaterThan(0);
    expect(Date.parse(ready?.lastAt ?? "")).toBeGreaterThan(Date.now() - 10 * 60_000);
    const full = await runSteps(ctx, TRIAGE_STEPS, { deadlineMs: LAB_TRIAGE_DEADLINE_MS });
    const c12n = classifyResults(full, TRIAGE_STEP_NAMES);
    expect(c12n.matrix.service).toMatchObject({
      status: "ok",
      reason: expect.stringContaining("active/running, 1 restart(s)"),
    });
    expect(c12n.findings.filter((f) => f.id.startsWith("supervisor-"))).toEqual([]);
    expect(JSON.stringify(full)).not.toContain(gw.token);
  }, 90_000);
});
