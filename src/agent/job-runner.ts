import type { JobRunFrame } from "../contract/agent-wire.ts";
import { isMutatingStep, type StepResult } from "../contract/catalog.ts";
import type { JobRunner } from "./connection.ts";
import { resolveProbeContext } from "./probes/context.ts";
import { doctorCache } from "./probes/doctor-cache.ts";
import type { ReadingsCarry } from "./probes/readings-carry.ts";
import { runSteps } from "./probes/run-steps.ts";
import { AGENT_VERSION } from "./version.ts";

export interface AgentJobRunner extends JobRunner {
  gatewayVersion(): string | null;
  refreshGatewayVersion(): Promise<void>;
}

/**
 * Runs catalog jobs with a probe context resolved from the agent's environment. `background`:
 * the agent keeps the doctor cache warm itself (`run`), so no job waits for doctor.
 */
export function createJobRunner(
  env: NodeJS.ProcessEnv,
  agentDir?: string,
  opts: { doctorInBackground?: boolean; doctorRefreshAfterMs?: number } = {},
): AgentJobRunner {
  let gatewayVersion: string | null = null;
  const remember = (r: StepResult) => {
    if (r.step === "versions" && r.data?.openclaw) gatewayVersion = r.data.openclaw;
    if (r.step === "gateway.ws" && r.data?.server?.version) gatewayVersion = r.data.server.version;
  };
  const run = async (job: JobRunFrame, onResult: (r: StepResult) => void, runOpts: { carry?: ReadingsCarry } = {}) => {
    const ctx = resolveProbeContext(env, {
      agentVersion: AGENT_VERSION,
      ...(agentDir ? { agentDir } : {}),
      ...(opts.doctorInBackground ? { doctorInBackground: true } : {}),
      ...(opts.doctorRefreshAfterMs !== undefined ? { doctorRefreshAfterMs: opts.doctorRefreshAfterMs } : {}),
    });
    // A job that changes the host (a restart, a switch of versions, doctor's repair): no background
    // doctor reading of the states it passes through (doctor-cache.ts, `hold`).
    const release = job.steps.some((s) => isMutatingStep(s.step)) ? doctorCache.hold(ctx) : undefined;
    try {
      return await runSteps(ctx, job.steps, {
        deadlineMs: job.deadlineMs,
        ...(runOpts.carry ? { carry: runOpts.carry } : {}),
        onResult: (r) => {
          remember(r);
          onResult(r);
        },
      });
    } finally {
      release?.();
    }
  };
  return {
    run,
    gatewayVersion: () => gatewayVersion,
    async refreshGatewayVersion() {
      await run(
        { type: "job.run", jobId: "startup-versions", steps: [{ step: "versions", args: {} }], deadlineMs: 10_000 },
        () => {},
      ).catch(() => undefined);
    },
  };
}
