import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { ApprovalClaims, ApprovalKeyPair } from "../../src/contract/approval.ts";
import type { StepResultOf } from "../../src/contract/catalog.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { freePort } from "../support/harness.ts";

/**
 * `doctor.fix` runs the real `openclaw doctor --repair --non-interactive` on a lab of its own: a
 * copy of the shared gateway's config in a fresh HOME and state dir, on a port nothing listens on
 * (doctor's repairs go through a running gateway too, and must never reach the shared one). The
 * state dir starts group/world-readable, which doctor repairs (`chmod 700`), and the config gains
 * what doctor adds to a fresh install. Refusals leave the config byte for byte.
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
  const copy = JSON5.parse(
    readFileSync(gw.configPath, "utf8")
      .replaceAll(gw.env.OPENCLAW_STATE_DIR, stateDir)
      .replaceAll(join(gw.labDir, "workspace"), workspace),
  ) as { gateway: { port?: number } };
  // A port nothing listens on: doctor's repairs reach a running gateway (it adds a heartbeat cron
  // job through it), and this copy must never change the shared one. Its health check then waits
  // for the gateway (up to 60 s, GATEWAY-FACTS §3) and reports it unreachable.
  copy.gateway.port = await freePort();
  writeFileSync(configPath, `${JSON.stringify(copy, null, 2)}\n`, { mode: 0o600 });
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

async function sharedCronJobs(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(gw.openclawBin, ["cron", "list", "--json"], {
    env: gw.env,
    timeout: 60_000,
  });
  const jobs = (JSON.parse(stdout) as { jobs?: { id: string; name?: string }[] }).jobs ?? [];
  return jobs.map((j) => `${j.id} ${j.name ?? ""}`).sort();
}

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
    const sharedJobs = await sharedCronJobs();
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
    // The shared gateway (whose config this lab copied) was not touched.
    expect(await sharedCronJobs()).toEqual(sharedJobs);
  }, 180_000);
});
