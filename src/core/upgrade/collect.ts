import type { StepRequest } from "../../contract/catalog.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"deadline">((done) => {
    timer = setTimeout(() => done("deadline"), deadlineMs);
  });
  const answers = await Promise.all(
    hosts.map(async (h): Promise<PreflightAnswer> => {
      const job = { jobId: deps.ids.id("preflight"), steps: STEPS, deadlineMs, progress: false };
      const call: Promise<JobOutcome | "deadline"> = deps.transport
        .dispatch(h.name, job, () => {})
        .catch((err: unknown): JobOutcome => ({ status: "lost", reason: `probe failed: ${String(err)}`, results: [] }));
      const got = await Promise.race([call, deadline]);
      if (got === "deadline") return { host: h.name, unanswered: `no answer within ${deadlineMs / 1000} s` };
      if (got.status === "rejected") return { host: h.name, unanswered: `agent refused: ${got.error.message}` };
      if (got.status === "lost" && got.results.length === 0)
        return { host: h.name, unanswered: got.offline ? "agent not connected" : got.reason };
      return { host: h.name, results: got.results };
    }),
  );
  if (timer !== undefined) clearTimeout(timer);
  return answers;
}
