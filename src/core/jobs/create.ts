import type { CoreDeps } from "../ports/deps.ts";
import type { JobRecord } from "../ports/store.ts";

export interface JobRequest {
  host: string;
  channel: string;
  user: string;
  /** Idempotency key: the same key never starts a second job (Slack retries). */
  requestKey: string;
}

/**
 * Creates a running job record. Returns null when a job with this request key exists already:
 * the caller acks without starting anything.
 */
export async function createJob(deps: CoreDeps, kind: JobRecord["kind"], req: JobRequest): Promise<JobRecord | null> {
  const { created, job } = await deps.store.createJob({
    id: deps.ids.id("job"),
    host: req.host,
    kind,
    status: "running",
    requestKey: req.requestKey,
    channel: req.channel,
    user: req.user,
    threadTs: null,
    progressTs: null,
    resultTs: null,
    createdAt: deps.clock.now(),
    finishedAt: null,
    results: [],
    detail: null,
  });
  return created ? job : null;
}
