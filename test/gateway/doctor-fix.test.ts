import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResultOf } from "../../src/core/probes/catalog.ts";
import type { ApprovalClaims, ApprovalKeyPair } from "../../src/core/recovery/approval.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";
import { sharedGateway } from "../support/gateway/control.ts";

/**
 * `doctor.fix` runs the real `openclaw doctor --repair --non-interactive` on a lab of its own: a
 * copy of the shared gateway's config in a fresh HOME and state dir (so the shared gateway's files
 * are never rewritten; doctor's health check still reaches the running gateway on the copied
 * port). The state dir starts group/world-readable, which doctor repairs (`chmod 700`), and the
 * config gains what doctor adds to a fresh install. Refusals leave the config byte for byte.
 */
const HOST = "node-3";
const gw = sharedGateway();
let lab: string;
let configPath: string;
let stateDir: string;
let agentDir: string;
let ctx: ProbeContext;
let key: ApprovalKeyPair;

const approval = (overrides: Partial<ApprovalClaims> = {}) =>
  testApproval(key, { host: HOST, step: "doctor.fix", ...overrides });

async function fix(token: string): Promise<StepResultOf<"doctor.fix">> {
  const [r] = await runSteps(ctx, [{ step: "doctor.fix", args: { approval: token } }], { deadlineMs: 150_000 });
  return r as StepResultOf<"doctor.fix">;
}

const allow = (steps: string[]) => writeFileSync(join(agentDir, "policy.json"), JSON.stringify({ allow: steps }));

beforeAll(async () => {
  lab = mkdtempSync(join(tmpdir(), "clawops-doctor-fix-"));
  stateDir = join(lab, "state");
  const home = join(lab, "home");
  const workspace = join(lab, "workspace");
  for (const d of [stateDir, home, workspace]) mkdirSync(d, { recursive: true });
  configPath = join(stateDir, "openclaw.json");
  const original = readFileSync(gw.configPath, "utf8");
  writeFileSync(
    configPath,
    original.replaceAll(gw.env.OPENCLAW_STATE_DIR, stateDir).replaceAll(join(gw.labDir, "workspace"), workspace),
    { mode: 0o600 },
  );
  chmodSync(stateDir, 0o755);
  ({ agentDir, key } = await enrolledAgentDir(HOST, lab));
  ctx = resolveProbeContext(
    { ...gw.env, HOME: home, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: configPath },
    { openclawBin: gw.openclawBin, agentVersion: "0.0.0-test", serviceUnitDirs: [], agentDir },
  );
});

afterAll(() => {
  if (lab) rmSync(lab, { recursive: true, force: true });
});

describe("doctor.fix: openclaw doctor --repair --non-interactive behind the mutating gate", () => {
  it("refuses without the host's policy, or with an approval for another step; the config stays byte for byte", async () => {
    const before = readFileSync(configPath);
    allow(["gateway.restart"]);
    const denied = await fix(await approval());
    expect(denied.data).toMatchObject({ performed: false, refused: expect.stringContaining("local policy") });
    allow(["doctor.fix"]);
    const wrongStep = await fix(await approval({ step: "gateway.restart" }));
    expect(wrongStep.data).toMatchObject({
      performed: false,
      refused: expect.stringMatching(/for step gateway\.restart/),
    });
    expect(readFileSync(configPath).equals(before)).toBe(true);
    expect(statSync(stateDir).mode & 0o777).toBe(0o755);
  }, 60_000);

  it("with approval and policy: the repairs it made, the config rewritten with a backup, and the lint after", async () => {
    const before = readFileSync(configPath, "utf8");
    allow(["doctor.fix"]);
    const r = await fix(await approval());
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    const d = r.data;
    expect(d).toMatchObject({ performed: true, approver: "U0OWNER", exitCode: 0, timedOut: false });
    expect(d?.command).toEqual([gw.openclawBin, "doctor", "--repair", "--non-interactive"]);
    expect(d?.changes).toContain(`Tightened permissions on ${stateDir} to 700`);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(d?.configHashBefore).not.toBe(d?.configHashAfter);
    expect(d?.configUpdated).toEqual({ path: configPath, backup: `${configPath}.bak` });
    expect(readFileSync(`${configPath}.bak`, "utf8")).toBe(before);
    expect(d?.lintAfter?.findings?.length).toBeGreaterThan(0);
    expect(d?.lintAfter?.findings?.every((f) => typeof f.checkId === "string")).toBe(true);
    expect(JSON.stringify(r)).not.toContain(gw.token);
  }, 180_000);
});
