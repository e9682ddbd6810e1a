import type { StepResult } from "../../contract/catalog.ts";
import { SLOW_STEPS, slowestDeadlineMs, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import type { CoreDeps } from "../deps.ts";
import { createJob, type JobRequest } from "../jobs/hosts.ts";
import { LiveMessage, PROGRESS_UPDATE_INTERVAL_MS, throttledLatest } from "../jobs/live-message.ts";
import type { Message } from "../messages/model.ts";
import type { IncidentRecord, JobOutcome, JobRecord } from "../ports.ts";
import { renderIncidentHeader, renderNotice, renderTriageProgress, renderTriageResult } from "../render/messages.ts";

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
    const progress = new LiveMessage(chat, { channel: job.channel, threadTs: incident.threadTs, ts: job.progressTs });
    await progress.show(firstProgress);
    await store.updateJob(job.id, { threadTs: incident.threadTs, progressTs: progress.ts });

    const results: StepResult[] = [];
    const updater = throttledLatest((msg: Message) => progress.show(msg), PROGRESS_UPDATE_INTERVAL_MS, logger);
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
    await finishTriage(deps, job, progress, outcome, results, answer);
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
 * The thread's result message: posted once (early, while slow probes still run), then edited
 * in place with the full answer.
 */
class ResultMessage {
  posted: boolean;
  private readonly live: LiveMessage;
  private readonly deps: CoreDeps;
  private readonly job: JobRecord;

  constructor(deps: CoreDeps, job: JobRecord, threadTs: string) {
    this.deps = deps;
    this.job = job;
    // A job run again edits the answer it had already posted.
    this.posted = job.resultTs !== null;
    this.live = new LiveMessage(deps.chat, { channel: job.channel, threadTs, ts: job.resultTs }, (ts) =>
      deps.store.updateJob(job.id, { resultTs: ts }),
    );
  }

  show(results: StepResult[], state: { pending: string[]; incomplete: string | null }): Promise<void> {
    this.posted = true;
    return this.live.show(() => this.render(results, state));
  }

  private async render(
    results: StepResult[],
    state: { pending: string[]; incomplete: string | null },
  ): Promise<Message> {
    const host = await this.deps.store.getHost(this.job.host);
    const versions = results.find((r) => r.step === "versions");
    const ws = results.find((r) => r.step === "gateway.ws");
    return renderTriageResult(classifyResults(results, TRIAGE_STEP_NAMES), {
      host: this.job.host,
      jobId: this.job.id,
      elapsedMs: this.deps.clock.now() - this.job.createdAt,
      agentVersion: (versions?.step === "versions" && versions.data?.agent) || host?.agentVersion,
      gatewayVersion:
        (ws?.step === "gateway.ws" && ws.data?.server?.version) ||
        (versions?.step === "versions" && versions.data?.openclaw) ||
        host?.gatewayVersion,
      incomplete: state.incomplete,
      pending: state.pending,
    });
  }
}

async function finishTriage(
  deps: CoreDeps,
  job: JobRecord,
  progress: LiveMessage,
  outcome: JobOutcome,
  streamed: StepResult[],
  answer: ResultMessage,
): Promise<void> {
  const { store, clock } = deps;
  const elapsedMs = clock.now() - job.createdAt;
  if (outcome.status === "rejected") {
    const detail = `${outcome.error.code}: ${outcome.error.message}`;
    await progress.show(
      renderTriageProgress(job.host, TRIAGE_STEP_NAMES, [], { phase: "rejected", elapsedMs, detail }),
    );
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
  await progress.show(
    renderTriageProgress(job.host, TRIAGE_STEP_NAMES, results, {
      phase: outcome.status === "done" ? "finished" : outcome.status,
      elapsedMs,
      detail,
    }),
  );
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
