import type { StepResult } from "../../contract/catalog.ts";
import { SLOW_STEPS, slowestDeadlineMs, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { LiveMessage, PROGRESS_UPDATE_INTERVAL_MS, throttledLatest } from "../chat/live-message.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { type Classification, classifyResults } from "../classify/classify.ts";
import type { FleetEvidence } from "../classify/evidence.ts";
import { sharedCredentials } from "../hosts/watch-attributes.ts";
import { mirrorHostPost } from "../incidents/mirrors.ts";
import { incidentThread } from "../incidents/pipeline.ts";
import { noteTimeline } from "../incidents/record.ts";
import { settleTriagedIncident, type TriageVerdict } from "../incidents/settle.ts";
import { endJobThreadUnwritable } from "../incidents/unwritable.ts";
import { mergeResults } from "../jobs/results.ts";
import { builtinKnownIssues } from "../known-issues/builtin.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps, HostJob } from "../ports/deps.ts";
import type { IncidentThread, JobRecord } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";
import { maintenanceSince, postMaintenanceComparison } from "./compare.ts";
import { renderTriageProgress, renderTriageResult } from "./render.ts";

/** The slowest step's deadline plus room for the round trip. */
export const TRIAGE_DEADLINE_MS = slowestDeadlineMs(TRIAGE_STEP_NAMES) + 3_000;

/** Where the asker can be told when the thread cannot be written (the command's response_url). */
export type JobReplyTo = { responseUrl?: string };

/** A triage job as the scheduler runs it (router/host-jobs.ts). */
export const triageJob = (deps: CoreDeps, j: Extract<HostJob, { kind: "triage" }>): Promise<void> =>
  runTriage(deps, j.job, j.responseUrl ? { responseUrl: j.responseUrl } : {});

/** The slow half of a triage, run after the ack: thread, progress, dispatch, result. */
export async function runTriage(deps: CoreDeps, job: JobRecord, replyTo: JobReplyTo = {}): Promise<void> {
  const { chat, store, clock, logger } = deps;
  const started = job.createdAt;
  const log = { job: job.id, host: job.host };
  // How long it waited (its host's queue, the lull after a burst of commands) is in the line.
  logger.info("triage started", { ...log, user: job.user, channel: job.channel, waitedMs: clock.now() - started });
  try {
    let incident: IncidentThread;
    let progress: LiveMessage;
    try {
      incident = await incidentThread(deps, { channel: job.channel, host: job.host, actor: job.user });
      const firstProgress = renderTriageProgress(job.host, TRIAGE_STEP_NAMES, [], {
        phase: "running",
        elapsedMs: clock.now() - started,
      });
      // A job run again after its runner was reset (Workers: the host's object) edits the
      // progress message it already has instead of posting a second one.
      progress = new LiveMessage(chat, { channel: job.channel, threadTs: incident.threadTs, ts: job.progressTs });
      await progress.show(firstProgress);
    } catch (err) {
      // The chat client has retried what can be retried: this thread cannot be written.
      await endJobThreadUnwritable(deps, job, err, replyTo.responseUrl);
      return;
    }
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
    await finishTriage(deps, job, progress, outcome, results, answer, replyTo);
  } catch (err) {
    logger.error("triage failed", { ...log, err: errorMessage(err) });
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
  /** The message as last rendered (its final answer, once shown). */
  last: Message | null = null;
  /** The incident thread it is posted in. */
  readonly threadTs: string;
  private readonly live: LiveMessage;
  private readonly deps: CoreDeps;
  private readonly job: JobRecord;

  constructor(deps: CoreDeps, job: JobRecord, threadTs: string) {
    this.deps = deps;
    this.job = job;
    this.threadTs = threadTs;
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
    const lint = results.find((r) => r.step === "doctor.lint");
    const doctorCache = lint?.step === "doctor.lint" ? lint.data?.cache : undefined;
    const fleet = await fleetContext(this.deps, this.job.host, results);
    this.last = renderTriageResult(classifyResults(results, TRIAGE_STEP_NAMES, undefined, fleet), {
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
      knownIssues: this.deps.knownIssues ?? builtinKnownIssues(),
      doctor: doctorCache
        ? { source: doctorCache.source, ageMs: doctorCache.ageMs }
        : lint?.status === "error" && lint.error?.code === "doctor_pending"
          ? { source: "pending", ageMs: 0 }
          : null,
    });
    return this.last;
  }
}

async function finishTriage(
  deps: CoreDeps,
  job: JobRecord,
  progress: LiveMessage,
  outcome: JobOutcome,
  streamed: StepResult[],
  answer: ResultMessage,
  replyTo: JobReplyTo,
): Promise<void> {
  const { store, clock, logger } = deps;
  const log = { job: job.id, host: job.host };
  const elapsedMs = clock.now() - job.createdAt;
  if (outcome.status === "rejected") {
    const detail = `${outcome.error.code}: ${outcome.error.message}`;
    await showFinal(
      progress,
      renderTriageProgress(job.host, TRIAGE_STEP_NAMES, [], { phase: "rejected", elapsedMs, detail }),
      logger,
      log,
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
  const finalProgress = renderTriageProgress(job.host, TRIAGE_STEP_NAMES, results, {
    phase: outcome.status === "done" ? "finished" : outcome.status,
    elapsedMs,
    detail,
  });
  // The job's outcome is what the agent answered; an edit that does not go through changes
  // what Slack shows, never the status. Each edit carries the whole state, so a later one
  // repairs an earlier failure.
  const progressShown = await showFinal(progress, finalProgress, logger, log);
  const showAnswer = () =>
    answer.show(results, { pending: [], incomplete: detail }).then(
      () => null,
      (err: unknown) => err,
    );
  // A second round, each with a fresh budget, once the other message had its turn.
  let answerError = await showAnswer();
  if (!progressShown) await showFinal(progress, finalProgress, logger, log);
  if (answerError) {
    logger.warn("final answer edit failed", { ...log, err: String(answerError) });
    answerError = await showAnswer();
  }
  let delivery: string | null = null;
  if (answerError) {
    const reason = errorMessage(answerError);
    logger.error("triage result could not be posted", { ...log, err: reason });
    delivery = `The result could not be posted in the thread: ${reason}`;
    await tellRequester(
      deps,
      replyTo.responseUrl,
      renderNotice(
        `⚠️ Triage of *${job.host}* (job \`${job.id}\`) finished (${outcome.status}), but its result could not be posted in <#${job.channel}>.\n${reason}`,
      ),
      log,
    );
  }
  // Its incident's mirrors on other chats get the final answer once, buttons taken out (incidents/mirrors.ts).
  if (!answerError && answer.last) {
    await mirrorHostPost(
      deps,
      { host: job.host, channel: job.channel },
      { message: answer.last, what: "the triage's result", ref: `triage:${job.id}` },
    );
  }
  // Classified once for the record: the timeline's line and the incident's settling read the same.
  const found = classifyResults(results, TRIAGE_STEP_NAMES);
  await noteTimeline(deps, job.host, {
    actor: job.user,
    kind: "triage",
    text: triageLine(found, outcome.status),
    ref: job.id,
  });
  // The incident a person's triage opened learns what it found: failing, or closed (nothing fails).
  await settleTriagedIncident(deps, job.host, triageVerdict(found, outcome.status));
  // A maintenance freeze's closing triage says what changed since the maintenance began.
  if (maintenanceSince(job.requestKey) !== null) {
    await postMaintenanceComparison(deps, job, results, answer.threadTs).catch((err: unknown) =>
      logger.warn("maintenance comparison not posted", { ...log, err: errorMessage(err) }),
    );
  }
  // Status last: whoever sees the job finished finds its final messages already in place.
  await store.updateJob(job.id, {
    status: outcome.status,
    finishedAt: clock.now(),
    detail: delivery ? [detail, delivery].filter(Boolean).join(" ").slice(0, 2_000) : detail,
  });
}

/** Which layers a finished triage found failing and to watch, and whether every probe answered. */
function triageVerdict({ matrix }: Classification, status: JobOutcome["status"]): TriageVerdict {
  const cells = Object.entries(matrix);
  return {
    failing: cells.filter(([, c]) => c.status === "fail").map(([layer]) => layer),
    warning: cells.filter(([, c]) => c.status === "warn").map(([layer]) => layer),
    complete: status === "done",
  };
}

/** The timeline's line for a finished triage: its matrix (failing layers) and finding ids. */
function triageLine({ matrix, findings }: Classification, status: JobOutcome["status"]): string {
  const cells = Object.entries(matrix).map(([layer, cell]) => `${layer} ${cell.status}`);
  const ids = findings.map((f) => f.id);
  return `triage ${status}: ${cells.join(", ")}; findings: ${ids.length ? ids.join(", ") : "none"}`;
}

/** The final edit of a progress message; false (logged) when it did not go through. */
function showFinal(
  progress: LiveMessage,
  message: Message,
  logger: CoreDeps["logger"],
  log: Record<string, string>,
): Promise<boolean> {
  return progress.show(message).then(
    () => true,
    (err: unknown) => {
      logger.warn("final progress edit failed", { ...log, err: String(err) });
      return false;
    },
  );
}

/**
 * What the rest of the fleet shares with this host (issue 30): its chat credentials named by
 * other hosts' watch states, by fingerprint. Nothing when the store keeps no watch states.
 */
async function fleetContext(
  deps: CoreDeps,
  host: string,
  results: readonly StepResult[],
): Promise<{ fleet?: FleetEvidence }> {
  const vitals = results.find((r) => r.step === "gateway.vitals");
  const own = vitals?.step === "gateway.vitals" ? (vitals.data?.channelCredentials ?? []) : [];
  if (own.length === 0 || !deps.store.listWatch) return {};
  try {
    return { fleet: sharedCredentials(host, own, await deps.store.listWatch()) };
  } catch (err) {
    deps.logger.warn("fleet context for triage unavailable", { host, err: String(err) });
    return {};
  }
}
