import type { StepRequest } from "../../contract/catalog.ts";
import { askHosts } from "../jobs/ask-hosts.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import type { PreflightAnswer } from "./plan.ts";

/** The pre-flight's one job per host, all under one deadline: read-only steps every agent has. */
export const PREFLIGHT_DEADLINE_MS = 8_000;
const STEPS: StepRequest[] = [
  // OpenClaw's version (`openclaw --version`) and the agent's Node.
  { step: "versions", args: {} },
  // Free space where the state lives, and the plugins OpenClaw installed from npm.
  { step: "state.files", args: {} },
];

export async function collectPreflight(
  deps: Pick<CoreDeps, "transport" | "ids">,
  hosts: readonly HostRecord[],
  deadlineMs = PREFLIGHT_DEADLINE_MS,
): Promise<PreflightAnswer[]> {
  return askHosts(deps, hosts, { jobPrefix: "preflight", steps: STEPS, deadlineMs });
}
