import type { StepResult } from "../../contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps } from "../../contract/watch.ts";
import type { JobRunner } from "../connection.ts";
import { TRIAL_PASSED } from "./supervisor.ts";

/** Codes that say the agent's own machinery broke, not that the gateway is unwell. */
const BROKEN = new Set(["probe_failed", "invalid_result"]);

/**
 * The probe an agent on trial (a new file the old agent started, upgrader.ts) must pass once
 * welcomed by the hub: `versions` naming its own version, and the watch's quick probe, each step
 * answered by its probe. A gateway that is down is an answer too: the upgrade judges the agent,
 * not the gateway. Prints the verdict on stdout for the old agent.
 */
export async function trialProbe(runner: JobRunner, version: string, write: (line: string) => void): Promise<void> {
  let results: StepResult[];
  try {
    results = await runner.run(
      {
        type: "job.run",
        jobId: "upgrade-trial",
        steps: [{ step: "versions", args: {} }, ...quickProbeSteps(QUICK_PROBE_DEADLINE_MS)],
        deadlineMs: 15_000,
      },
      () => {},
    );
  } catch (err) {
    write(`clawops-agent-trial: failed the probe threw: ${String(err).slice(0, 200)}\n`);
    return;
  }
  const broken = results.filter((r) => r.status === "error" && BROKEN.has(r.error?.code ?? ""));
  const versions = results.find((r) => r.step === "versions");
  const reported = versions?.step === "versions" ? versions.data?.agent : undefined;
  if (broken.length > 0) {
    const first = broken[0];
    write(`clawops-agent-trial: failed ${first?.step}: ${first?.error?.message.slice(0, 200)}\n`);
  } else if (reported !== version) {
    write(`clawops-agent-trial: failed versions reported ${String(reported)}, not ${version}\n`);
  } else {
    write(`${TRIAL_PASSED}\n`);
  }
}
