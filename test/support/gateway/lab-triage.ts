import { join } from "node:path";
import { expect } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../../src/agent/probes/context.ts";
import { runSteps } from "../../../src/agent/probes/run-steps.ts";
import { type StepResult, TRIAGE_STEPS } from "../../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../../src/core/classify/classify.ts";
import type { SharedGateway } from "./control.ts";
import { LAB_TRIAGE_DEADLINE_MS, labSteps } from "./readiness.ts";

/**
 * The probe context an agent on the lab's host has: the lab's environment (its HOME, state
 * folder and config), its `openclaw`, and the user unit folder under its HOME; `extraEnv` on top.
 */
export function labProbeContext(gw: SharedGateway, extraEnv: Record<string, string> = {}): ProbeContext {
  return resolveProbeContext(
    { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin, ...extraEnv },
    { agentVersion: "0.0.0-test", serviceUnitDirs: [join(gw.env.HOME, ".config/systemd/user")] },
  );
}

/**
 * The REAL agent probes against the shared lab gateway, in this process (the whole triage
 * catalog, `doctor --lint` included, the slow CLI steps given their lab budget), then the
 * classifier. Every step must answer, and no result may carry the gateway's token.
 */
export async function labTriage(
  gw: SharedGateway,
  label: string,
  extraEnv: Record<string, string> = {},
): Promise<{ results: StepResult[]; classification: Classification }> {
  const ctx = labProbeContext(gw, extraEnv);
  const results: StepResult[] = await runSteps(ctx, labSteps(TRIAGE_STEPS), { deadlineMs: LAB_TRIAGE_DEADLINE_MS });
  for (const r of results) expect(r.status, `${label} ${r.step}: ${JSON.stringify(r.error)}`).toBe("ok");
  expect(JSON.stringify(results)).not.toContain(gw.token);
  return {
    results,
    classification: classifyResults(
      results,
      TRIAGE_STEPS.map((s) => s.step),
    ),
  };
}
