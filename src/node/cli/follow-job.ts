import type { ConsoleEvent } from "../../adapters/console/feed.ts";
import type { ConsoleClient, JobInfo } from "./console-client.ts";

/**
 * Follows one triage job in the console feed until its result message arrives. The job
 * record names its thread, its progress message and (once posted) its result message, so
 * events are matched by ts; events that arrive before the record names them are held.
 */

export interface FollowView {
  /** A whole message to show (incident header, final progress, result). */
  message(event: ConsoleEvent): void;
  /** The progress message changed; `event.text` is its one-line summary. */
  progress(event: ConsoleEvent): void;
  /** The progress message in its final state, once the job has ended. */
  progressDone(event: ConsoleEvent): void;
}

export type FollowOutcome =
  | { kind: "finished"; job: JobInfo; result: ConsoleEvent }
  | { kind: "ended"; job: JobInfo; result: ConsoleEvent | null }
  | { kind: "gave-up"; job: JobInfo | null };

export interface FollowOptions {
  /** Give up after this long; the job may still finish on the server. */
  timeoutMs: number;
  pollMs?: number;
  /** How long to wait for the result message once the job left `running`. */
  resultGraceMs?: number;
}

export async function followJob(
  client: ConsoleClient,
  jobId: string,
  since: number,
  view: FollowView,
  opts: FollowOptions,
): Promise<FollowOutcome> {
  const pollMs = opts.pollMs ?? 300;
  const graceMs = opts.resultGraceMs ?? 3_000;
  const feed = openFeed(client, since);
  const deadline = Date.now() + opts.timeoutMs;
  const held: ConsoleEvent[] = [];
  let job: JobInfo | null = null;
  let endedAt: number | null = null;
  const state: { progress: ConsoleEvent | null; shown: ConsoleEvent | null; result: ConsoleEvent | null } = {
    progress: null,
    shown: null,
    result: null,
  };

  /** true when the event was placed; false to hold it until the job record names it. */
  const handle = (e: ConsoleEvent, j: JobInfo): boolean => {
    if (e.threadTs === null && e.kind === "post" && e.ts === j.threadTs) {
      view.message(e); // the incident thread was opened for this job
      return true;
    }
    if (j.progressTs && e.ts === j.progressTs) {
      state.progress = e;
      return true;
    }
    if (j.resultTs && e.ts === j.resultTs) {
      // The first answer is posted before slow probes finish, then edited: keep the newest.
      if (!state.result || e.seq > state.result.seq) state.result = e;
      return true;
    }
    // Not ours (another thread or job) once the record names everything this job posts.
    return j.status !== "running" && j.resultTs !== null;
  };

  try {
    for (;;) {
      job = await client.job(jobId);
      if (job.status !== "running") {
        endedAt ??= Date.now();
        // The final edits are logged before the status flips; the stream may still lag.
        await feed.catchUp();
      }
      const current = job;
      const pending = [...held.splice(0), ...feed.drain()];
      held.push(...pending.filter((e) => !handle(e, current)));
      if (state.progress && state.progress !== state.shown) view.progress(state.progress);
      state.shown = state.progress;
      const result = state.result;
      if (result && job.status !== "running") {
        if (state.progress) view.progressDone(state.progress);
        view.message(result);
        return job.status === "done" ? { kind: "finished", job, result } : { kind: "ended", job, result };
      }
      // A refused job posts no result; anything else should, right after its status changes.
      if (endedAt !== null && Date.now() - endedAt >= (job.status === "rejected" ? pollMs * 2 : graceMs)) {
        if (state.progress) view.progressDone(state.progress);
        return { kind: "ended", job, result: null };
      }
      if (Date.now() >= deadline) return { kind: "gave-up", job };
      await feed.wait(Math.min(pollMs, Math.max(0, deadline - Date.now())));
    }
  } finally {
    await feed.close();
  }
}

/** The SSE stream as a queue, reconnecting from the last seq when the stream drops. */
function openFeed(client: ConsoleClient, since: number) {
  const abort = new AbortController();
  const queue: ConsoleEvent[] = [];
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let last = since;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const pump = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        for await (const e of client.events(last, abort.signal)) {
          failures = 0;
          if (e.seq <= last) continue; // already read by catchUp()
          last = e.seq;
          queue.push(e);
          notify();
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (++failures >= 3) {
          failure = err;
          notify();
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 200 * failures));
    }
  })();
  return {
    /** Reads the log directly past the newest event seen, page by page. */
    async catchUp(): Promise<void> {
      for (;;) {
        const page = (await client.messagesSince(last)).filter((e) => e.seq > last);
        const tail = page.at(-1);
        if (!tail) return;
        queue.push(...page);
        last = tail.seq;
      }
    },
    drain(): ConsoleEvent[] {
      if (failure) throw failure;
      return queue.splice(0);
    },
    async wait(ms: number): Promise<void> {
      if (queue.length > 0 || failure) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    async close(): Promise<void> {
      abort.abort();
      notify();
      await pump;
    },
  };
}
