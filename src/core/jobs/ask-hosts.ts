import type { StepRequest, StepResult } from "../../contract/catalog.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";

/** What one host answered to a fleet-wide read: its results, or why there are none. */
export type HostAnswer = { host: string; results: StepResult[] } | { host: string; unanswered: string };

/**
 * One read-only job to each of `hosts` at once, all under one deadline (the expiry calendar, an
 * upgrade's pre-flight): a host that does not answer by then, refuses, or is not connected is
 * listed with why, never waited for past the deadline.
 */
export async function askHosts(
  deps: Pick<CoreDeps, "transport" | "ids">,
  hosts: readonly Pick<HostRecord, "name">[],
  o: { jobPrefix: string; steps: StepRequest[]; deadlineMs: number },
): Promise<HostAnswer[]> {
  const { deadlineMs } = o;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"deadline">((done) => {
    timer = setTimeout(() => done("deadline"), deadlineMs);
  });
  const answers = await Promise.all(
    hosts.map(async (h): Promise<HostAnswer> => {
      const job = { jobId: deps.ids.id(o.jobPrefix), steps: o.steps, deadlineMs, progress: false };
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
