import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { type GatewayWsData, type StepResult, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { labProbeContext } from "../support/gateway/lab-triage.ts";
import { LAB_TRIAGE_DEADLINE_MS } from "../support/gateway/readiness.ts";
import { until } from "../support/until.ts";

/**
 * The scheduler layer on the real gateway: the agent's `gateway.ws` step reads `cron.status` and
 * `cron.list`. A real cron job whose command fails (`false`, exit 1) is added and run through the
 * real CLI; then the scheduler is switched off in the config with that job stored, as an operator
 * edits it: the running gateway applies a `cron` change live (its reload plan rebuilds the cron
 * service), so the switch costs no gateway start, and neither does the put-back: the config
 * written back is taken live the same way, then the job is removed. (A live reload leaves the
 * gateway's `health` without its model-runtime status until the next start; the one test that
 * reads it, probes' healthy test, runs right after a start of its own.)
 */
const gw = sharedGateway();
let originalConfig: string;
let jobId: string | null = null;
let configChanged = false;

async function openclaw(args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await promisify(execFile)(gw.openclawBin, args, { env: gw.env, timeout });
  return stdout;
}

const probeContext = () => labProbeContext(gw);

/** The scheduler as the running gateway reports it (`cron.status` over the agent's `gateway.ws` step alone). */
async function cronNow(): Promise<GatewayWsData["cronRpc"]> {
  const steps = TRIAGE_STEPS.filter((s) => s.step === "gateway.ws");
  const [ws] = await runSteps(probeContext(), steps, { deadlineMs: 20_000 });
  return ws?.step === "gateway.ws" ? ws.data?.cronRpc : undefined;
}

/** Until the running gateway's scheduler reports `enabled` (a live reload is applied within seconds). */
async function cronEnabledBecomes(enabled: boolean, timeoutMs = 60_000): Promise<void> {
  let last: GatewayWsData["cronRpc"];
  await until(
    `cron.status saying enabled ${enabled}`,
    timeoutMs,
    async () => {
      last = await cronNow();
      return last?.ok && last.enabled === enabled;
    },
    500,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; it said ${JSON.stringify(last)}`);
  });
}

async function triage(): Promise<{ c12n: Classification; cron: GatewayWsData["cronRpc"] }> {
  const ctx = probeContext();
  const results: StepResult[] = await runSteps(ctx, TRIAGE_STEPS, { deadlineMs: LAB_TRIAGE_DEADLINE_MS });
  expect(JSON.stringify(results)).not.toContain(gw.token);
  const ws = results.find((r) => r.step === "gateway.ws");
  const cron = ws?.step === "gateway.ws" ? ws.data?.cronRpc : undefined;
  return { c12n: classifyResults(results, TRIAGE_STEP_NAMES), cron };
}

beforeAll(async () => {
  originalConfig = await readFile(gw.configPath, "utf8");
  await gw.restoreHealthy();
});

/**
 * The config put back and taken live (a restart only if the scheduler does not come back on), then
 * the failing job removed, checked gone (left behind, its failed run would be a scheduler warning
 * in every later file's triage on this gateway).
 */
async function putBack(): Promise<void> {
  await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
  if (configChanged) await cronEnabledBecomes(true).catch(() => gw.restart({}));
  configChanged = false;
  await gw.restoreHealthy();
  if (jobId) {
    const id = jobId;
    let listed = "";
    await until(
      `cron job ${id} removed`,
      60_000,
      async () => {
        await openclaw(["cron", "rm", id]).catch(() => undefined);
        listed = await openclaw(["cron", "list", "--all", "--json"]).catch((err: unknown) => String(err));
        return !listed.includes(id);
      },
      1_000,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; cron list said ${listed.slice(0, 500)}`);
    });
    jobId = null;
  }
}

afterAll(async () => {
  // After a failure midway; the last test puts back itself.
  if (configChanged || jobId) await putBack();
}, 180_000);

describe("scheduler: cron jobs and the cron switch", () => {
  it("healthy: the scheduler is on, no job fails, no scheduler finding", async () => {
    const { c12n, cron } = await triage();
    expect(cron).toMatchObject({ ok: true, enabled: true, failing: [] });
    expect(c12n.findings.map((f) => f.id)).not.toContain("cron-job-failing");
    expect(c12n.findings.map((f) => f.id)).not.toContain("cron-disabled");
    expect(c12n.matrix.scheduler.status).toBe("ok");
  }, 90_000);

  it("a job whose command fails → cron-job-failing, naming the job", async () => {
    const added = JSON.parse(
      await openclaw([
        "cron",
        "add",
        "--name",
        "clawops-nightly-export",
        "--every",
        "6h",
        "--command-argv",
        JSON.stringify(["false"]),
        "--json",
      ]),
    ) as Record<string, unknown>;
    jobId = String(added.id ?? (added.job as Record<string, unknown> | undefined)?.id ?? "");
    expect(jobId, JSON.stringify(added)).not.toBe("");
    await openclaw(["cron", "run", jobId, "--wait", "--wait-timeout", "60s"], 90_000).catch(() => undefined);

    let result = await triage();
    for (let i = 0; i < 10 && !result.cron?.failing?.length; i++) {
      await new Promise((r) => setTimeout(r, 2_000));
      result = await triage();
    }
    const { c12n, cron } = result;
    expect(
      cron?.failing?.map((j) => j.id),
      JSON.stringify(cron),
    ).toEqual([jobId]);
    const finding = c12n.findings.find((f) => f.id === "cron-job-failing");
    expect(finding?.severity).toBe("warn");
    expect(finding?.evidence[0]).toContain('cron job "clawops-nightly-export"');
    expect(c12n.findings.filter((f) => f.severity === "fail")).toEqual([]);
    expect(c12n.matrix.scheduler.status).toBe("warn");
  }, 240_000);

  it("cron.enabled=false with the job stored → cron-disabled, while /readyz stays 200", async () => {
    const config = JSON5.parse(originalConfig) as Record<string, unknown>;
    config.cron = { ...(config.cron as Record<string, unknown> | undefined), enabled: false };
    await writeFile(gw.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    configChanged = true;
    // Applied by the running gateway (reload plan: `cron` → restartCron): no start to wait for.
    await cronEnabledBecomes(false);
    const { c12n, cron } = await triage();
    expect(cron).toMatchObject({ ok: true, enabled: false });
    expect(cron?.jobs).toBeGreaterThan(0);
    const finding = c12n.findings.find((f) => f.id === "cron-disabled");
    expect(finding?.evidence[0]).toMatch(/^cron\.status: enabled false with \d+ job\(s\) stored$/);
    expect(finding?.falseGreen).toContain("/readyz 200");
  }, 240_000);

  it("put back: the scheduler on again and no scheduler finding, though the log keeps its 'scheduler disabled' line", async () => {
    await putBack();
    const results: StepResult[] = await runSteps(probeContext(), TRIAGE_STEPS, { deadlineMs: LAB_TRIAGE_DEADLINE_MS });
    const logs = results.find((r) => r.step === "logs.signatures");
    const disabledLines =
      logs?.step === "logs.signatures" ? logs.data?.signatures.find((x) => x.kind === "cron-disabled") : undefined;
    // The line the switch made is still in the log the agent reads: history, not the scheduler now.
    expect(disabledLines?.count ?? 0, JSON.stringify(logs?.data)).toBeGreaterThan(0);
    const ws = results.find((r) => r.step === "gateway.ws");
    expect(ws?.step === "gateway.ws" ? ws.data?.cronRpc : undefined).toMatchObject({
      ok: true,
      enabled: true,
      failing: [],
    });
    const c12n = classifyResults(results, TRIAGE_STEP_NAMES);
    expect(
      c12n.findings.filter((f) => f.layer === "scheduler"),
      JSON.stringify(c12n.findings),
    ).toEqual([]);
    expect(c12n.matrix.scheduler.status).toBe("ok");
  }, 240_000);
});
