import type { StepResult } from "../../contract/catalog.ts";
import { SLOW_STEPS, slowestDeadlineMs, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import type { CoreDeps } from "../deps.ts";
import { createJob, type JobRequest } from "../jobs/hosts.ts";
import type { IncidentRecord, JobOutcome, JobRecord } from "../ports.ts";
import {
  type RenderedMessage,
  renderIncidentHeader,
  renderNotice,
  renderTriageProgress,
  renderTriageResult,
} from "../render/blocks.ts";

/** The slowest step's deadline plus room for the round trip. */
export const TRIAGE_DEADLINE_MS = slowestDeadlineMs(TRIAGE_STEP_NAMES) + 3_000;

export type TriageRequest = JobRequest;

/** The triage job record; null when one with this request key exists already (a Slack retry). */
export function createTriageJob(deps: CoreDeps, req: TriageRequest): Promise<JobRecord | null> {
  return createJob(deps, "triage", req);
}

/** The slow half of a triage, run after the ack: thread, progress, dispatch, result. */
export async function runTriage(deps: CoreDeps, job: JobRecord): Promise<void> {
  const { chat, store, clock, logger } = deps;
  const started = job.createdAt;
  const log = { job: job.id, host: job.host };
  try {
    const incident = await openIncidentThread(deps, job);
    const firstProgress = renderTriageProgress(job.host, TRIAGE_STEP_NAMES, [], {
      phase: "running",
      elapsedMs: clock.now() - started,
    });
    // A job run again after its runner was reset (Workers: the host's object) edits the
    // progress message it already has instead of posting a second one.
    const progress = job.progressTs
      ? { ts: job.progressTs }
      : await chat.postMessage({ channel: job.channel, threadTs: incident.threadTs, ...firstProgress });
    if (job.progressTs) await chat.updateMessage({ channel: job.channel, ts: job.progressTs, ...firstProgress });
    await store.updateJob(job.id, { threadTs: incident.threadTs, progressTs: progress.ts });

    const results: StepResult[] = [];
    const updater = throttledLatest(
      async (msg: RenderedMessage) => {
        await chat.updateMessage({ channel: job.channel, ts: progress.ts, ...msg });
      },
      PROGRESS_UPDATE_INTERVAL_MS,
      logger,
    );
    const answer = new ResultMessage(deps, job, incident.threadTs);

    const outcome = await deps.transport.dispatch(
      job.host,
      { jobId: job.id, steps: TRIAGE_STEPS, deadlineMs: TRIAGE_DEADLINE_MS },
      (result) => {
        results.push(result);
        void store
          .appendJobResult(job.id, result)
          .catch((err) => logger.error("storing step result failed", { ...log, err: String(err) }));
        updater.push(
          renderTriageProgress(job.host, TRIAGE_STEP_NAMES, results, {
            phase: "running",
            elapsedMs: clock.now() - started,
          }),
        );
        // The first answer goes out once the fast probes are in; slow ones update it later.
        const pending = TRIAGE_STEP_NAMES.filter((step) => !results.some((r) => r.step === step));
        if (!answer.posted && pending.length > 0 && pending.every((step) => SLOW_STEPS.has(step))) {
          answer
            .show([...results], { pending, incomplete: null })
            .catch((err) => logger.warn("early answer failed", { ...log, err: String(err) }));
        }
      },
    );
    await updater.close();
    await finishTriage(deps, job, progress.ts, outcome, results, answer);
  } catch (err) {
    logger.error("triage failed", { ...log, err: err instanceof Error ? err.message : String(err) });
    await store.updateJob(job.id, {
      status: "lost",
      finishedAt: clock.now(),
      detail: `control plane error: ${String(err)}`,
    });
    throw err;
  }
}

/**
 * The thread's result message: posted once, then edited in place. Sends are serialised so an
 * early answer and its update never cross.
 */
class ResultMessage {
  posted = false;
  private ts: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly deps: CoreDeps;
  private readonly job: JobRecord;
  private readonly threadTs: string;

  constructor(deps: CoreDeps, job: JobRecord, threadTs: string) {
    this.deps = deps;
    this.job = job;
    this.threadTs = threadTs;
    // A job run again edits the answer it had already posted.
    this.ts = job.resultTs;
    this.posted = job.resultTs !== null;
  }

  show(results: StepResult[], state: { pending: string[]; incomplete: string | null }): Promise<void> {
    this.posted = true;
    // A failed early answer must not block the final one; each caller sees its own outcome.
    const next = this.chain.catch(() => undefined).then(() => this.send(results, state));
    this.chain = next;
    return next;
  }

  private async send(results: StepResult[], state: { pending: string[]; incomplete: string | null }): Promise<void> {
    const { chat, store, clock } = this.deps;
    const host = await store.getHost(this.job.host);
    const versions = results.find((r) => r.step === "versions");
    const ws = results.find((r) => r.step === "gateway.ws");
    const message = renderTriageResult(classifyResults(results, TRIAGE_STEP_NAMES), {
      host: this.job.host,
      jobId: this.job.id,
      elapsedMs: clock.now() - this.job.createdAt,
      agentVersion: (versions?.step === "versions" && versions.data?.agent) || host?.agentVersion,
      gatewayVersion:
        (ws?.step === "gateway.ws" && ws.data?.server?.version) ||
        (versions?.step === "versions" && versions.data?.openclaw) ||
        host?.gatewayVersion,
      incomplete: state.incomplete,
      pending: state.pending,
    });
    if (this.ts) {
      await chat.updateMessage({ channel: this.job.channel, ts: this.ts, ...message });
      return;
    }
    const posted = await chat.postMessage({ channel: this.job.channel, threadTs: this.threadTs, ...message });
    this.ts = posted.ts;
    await store.updateJob(this.job.id, { resultTs: posted.ts });
  }
}

async function finishTriage(
  deps: CoreDeps,
  job: JobRecord,
  progressTs: string,
  outcome: JobOutcome,
  streamed: StepResult[],
  answer: ResultMessage,
): Promise<void> {
  const { chat, store, clock } = deps;
  const elapsedMs = clock.now() - job.createdAt;
  if (outcome.status === "rejected") {
    const detail = `${outcome.error.code}: ${outcome.error.message}`;
    await chat.updateMessage({
      channel: job.channel,
      ts: progressTs,
      ...renderTriageProgress(job.host, TRIAGE_STEP_NAMES, [], { phase: "rejected", elapsedMs, detail }),
    });
    await store.updateJob(job.id, { status: "rejected", finishedAt: clock.now(), detail });
    return;
  }
  // Prefer the job's own final list; fall back to what streamed in before a loss.
  const results = mergeResults(streamed, outcome.results);
  const detail =
    outcome.status === "lost"
      ? `Agent connection lost mid-job (${outcome.reason}); ${results.length}/${TRIAGE_STEP_NAMES.length} probes arrived. Layers without data are unknown.`
      : outcome.status === "timeout"
        ? `Job deadline of ${TRIAGE_DEADLINE_MS / 1000} s passed with ${results.length}/${TRIAGE_STEP_NAMES.length} probes in. Layers without data are unknown.`
        : null;
  await chat.updateMessage({
    channel: job.channel,
    ts: progressTs,
    ...renderTriageProgress(job.host, TRIAGE_STEP_NAMES, results, {
      phase: outcome.status === "done" ? "finished" : outcome.status,
      elapsedMs,
      detail,
    }),
  });
  await answer.show(results, { pending: [], incomplete: detail });
  // Status last: whoever sees the job finished finds its final messages already in place.
  await store.updateJob(job.id, { status: outcome.status, finishedAt: clock.now(), detail });
}

function mergeResults(streamed: StepResult[], final: StepResult[]): StepResult[] {
  const byStep = new Map<string, StepResult>();
  for (const r of streamed) byStep.set(r.step, r);
  for (const r of final) byStep.set(r.step, r);
  return [...byStep.values()];
}

/** One incident thread per (channel, host): reused by every later triage of that host there. */
export async function openIncidentThread(deps: CoreDeps, job: JobRecord): Promise<IncidentRecord> {
  const existing = await deps.store.findIncident(job.channel, job.host);
  if (existing) return existing;
  const parent = await deps.chat.postMessage({
    channel: job.channel,
    ...renderIncidentHeader(job.host, job.user, deps.clock.now()),
  });
  const incident: IncidentRecord = {
    id: deps.ids.id("inc"),
    channel: job.channel,
    host: job.host,
    threadTs: parent.ts,
    openedAt: deps.clock.now(),
  };
  await deps.store.insertIncident(incident);
  return incident;
}

/**
 * After a control-plane restart, jobs that were running can never finish: mark them lost
 * and say so in their thread rather than leaving a spinner forever.
 */
export async function failInterruptedJobs(deps: CoreDeps): Promise<number> {
  const running = await deps.store.listJobs({ status: "running" });
  for (const job of running) {
    const detail =
      "The control plane restarted while this job ran; its results were not all received. Run the triage again.";
    await deps.store.updateJob(job.id, { status: "lost", finishedAt: deps.clock.now(), detail });
    if (job.threadTs) {
      await deps.chat
        .postMessage({
          channel: job.channel,
          threadTs: job.threadTs,
          ...renderNotice(`💥 Triage job \`${job.id}\` of *${job.host}* was lost: ${detail}`),
        })
        .catch((err) => deps.logger.warn("could not post lost-job notice", { job: job.id, err: String(err) }));
    }
  }
  return running.length;
}

/** Slack's chat.update is Tier 3 (~50/min per app): one progress edit per interval is plenty. */
export const PROGRESS_UPDATE_INTERVAL_MS = 400;

/**
 * Sends the newest value at most once per interval, one at a time; values pushed in between
 * replace each other. `close()` drops what is still pending (the final update supersedes
 * it) and waits for the send in flight, so edits never land out of order.
 */
function throttledLatest<T>(send: (value: T) => Promise<void>, intervalMs: number, logger: CoreDeps["logger"]) {
  let pending: { value: T } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let lastSent = Date.now();
  const schedule = () => {
    timer = setTimeout(fire, Math.max(0, lastSent + intervalMs - Date.now()));
  };
  const fire = () => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    lastSent = Date.now();
    inFlight = send(value)
      .catch((err) => logger.warn("progress update failed", { err: String(err) }))
      .finally(() => {
        inFlight = null;
        if (pending && !timer) schedule();
      });
  };
  return {
    push(value: T) {
      pending = { value };
      if (!timer && !inFlight) schedule();
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
      await inFlight;
    },
  };
}
