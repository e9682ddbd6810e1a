import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { type ApprovalClaims, type ApprovalKeyPair, generateApprovalKey } from "../../src/contract/approval.ts";
import type { StepResultOf } from "../../src/contract/catalog.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { gatewayOwnerPids, killGatewayOwners } from "../support/recover-run.ts";

/**
 * The ordered restart on a real OpenClaw gateway of its own (a manually run process, started
 * here with token drift: `--token <other>`), so the shared gateway is never touched. The agent
 * restarts only with an approval signed by the pinned key, for this host and step, unused and
 * unexpired, and only when its local policy allows it; otherwise the gateway keeps its PID.
 */
const HOST = "node-3";
const driftToken = `drift-${randomBytes(12).toString("hex")}`;
let gw: RealGateway;
let agentDir: string;
let ctx: ProbeContext;
let key: ApprovalKeyPair;

const ownerPids = () => gatewayOwnerPids(gw.port);

const approval = (overrides: Partial<ApprovalClaims> = {}, signer = key) =>
  testApproval(signer, { host: HOST, step: "gateway.restart", ...overrides });

async function restart(token: string): Promise<StepResultOf<"gateway.restart">> {
  const [r] = await runSteps(ctx, [{ step: "gateway.restart", args: { approval: token } }], { deadlineMs: 120_000 });
  return r as StepResultOf<"gateway.restart">;
}

async function acceptance(): Promise<StepResultOf<"gateway.acceptance">> {
  const [r] = await runSteps(ctx, [{ step: "gateway.acceptance", args: {} }], { deadlineMs: 30_000 });
  return r as StepResultOf<"gateway.acceptance">;
}

const allow = (steps: string[]) => writeFileSync(join(agentDir, "policy.json"), JSON.stringify({ allow: steps }));

beforeAll(async () => {
  gw = await RealGateway.create(await ensureOpenclaw());
  await gw.start({ extraArgs: ["--token", driftToken] });
  ({ agentDir, key } = await enrolledAgentDir(HOST));
  ctx = resolveProbeContext(gw.env, {
    openclawBin: gw.install.openclawBin,
    agentVersion: "0.0.0-test",
    serviceUnitDirs: [join(gw.env.HOME, ".config/systemd/user")],
    agentDir,
  });
}, 180_000);

afterAll(async () => {
  // The relaunched gateway is not the harness's child: stop whatever owns the port, group and all.
  if (gw) await killGatewayOwners(gw.port);
  await gw?.dispose();
  if (agentDir) rmSync(agentDir, { recursive: true, force: true });
}, 60_000);

describe("gateway.restart on a manually run gateway", () => {
  it("refuses forged, expired, misdirected and policy-denied restarts, leaving the gateway untouched", async () => {
    const [pid] = await ownerPids();
    expect(pid).toBe(gw.pid);
    // Token drift: the agent (config token) cannot pass acceptance.
    expect((await acceptance()).data?.passed).toBe(false);

    allow([]); // default deny, even with a valid approval
    const denied = await restart(await approval());
    expect(denied.data).toMatchObject({ performed: false, refused: expect.stringContaining("local policy") });

    allow(["gateway.restart"]);
    const rogue = (await generateApprovalKey()).pair;
    const cases: [string, Promise<string>, RegExp][] = [
      ["forged", approval({}, rogue), /signature/],
      ["expired", approval({ iat: Date.now() - 300_000, exp: Date.now() - 1_000 }), /expired/],
      ["other host", approval({ host: "node-4" }), /for host node-4/],
      ["other step", approval({ step: "doctor.fix" }), /for step doctor\.fix/],
    ];
    for (const [label, token, reason] of cases) {
      const r = await restart(await token);
      expect(r.data?.performed, label).toBe(false);
      expect(r.data?.refused, label).toMatch(reason);
    }
    expect(await ownerPids()).toEqual([pid]);
  });

  it("with approval and policy: the old process exits before the new one listens, and drift is gone", async () => {
    const [oldPid] = await ownerPids();
    const token = await approval();
    const r = await restart(token);
    expect(r.status).toBe("ok");
    expect(r.data).toMatchObject({ performed: true, supervisor: "manual", oldPid, approver: "U0OWNER" });
    expect(r.data?.error).toBeUndefined();
    expect(r.data?.newPid).not.toBe(oldPid);
    expect(r.data?.command).toEqual([gw.install.openclawBin, "gateway", "run", "--port", String(gw.port)]);
    expect(JSON.stringify(r)).not.toContain(driftToken);
    expect(await ownerPids()).toEqual([r.data?.newPid]);
    // The relaunch takes the token from the config: both acceptance calls pass now.
    const a = await acceptance();
    expect(a.data, JSON.stringify(a.data)).toMatchObject({
      passed: true,
      read: { ok: true },
      write: { ok: true },
      cleanup: { ok: true },
    });

    // The same approval again is refused: single use.
    const again = await restart(token);
    expect(again.data).toMatchObject({ performed: false, refused: expect.stringContaining("already used") });
    expect(await ownerPids()).toEqual([r.data?.newPid]);
  });
});
