import type { MutatingStep } from "../../../contract/approval.ts";
import type { StepRequest, StepResult } from "../../../contract/catalog.ts";
import { audit } from "../../audit/audit.ts";
import { LiveMessage } from "../../chat/live-message.ts";
import type { Classification } from "../../classify/classify.ts";
import { newConfirmationId, requestConfirmation } from "../../confirmations/confirm.ts";
import { renderExpired } from "../../confirmations/render.ts";
import { incidentThread } from "../../incidents/pipeline.ts";
import { noteTimeline } from "../../incidents/record.ts";
import { renderNotice } from "../../messages/notices.ts";
import type { CoreDeps } from "../../ports/deps.ts";
import type { AuditOutcome, FreezeRecord, RecoverRun, RunSteps } from "../../ports/recovery.ts";
import type { JobOutcome } from "../../ports/transport.ts";
import {
  RECOVER_STEP_TITLES,
  type RecoverStepState,
  type RunPhase,
  renderRecoverProgress,
  type StepView,
} from "./progress.ts";

/** What one runbook step learns for the ones after it. */
export interface RunFacts {
  /** Step 1's freeze: the one the run lifts when it recovers the host. */
  freeze: FreezeRecord | null;
  /** Step 2's read-only probes and their classification, read by steps 3 and 4. */
  snapshot: { results: StepResult[]; c12n: Classification } | null;
}

/** A step's own line in the progress message. */
export interface StepHandle {
  readonly index: number;
  set(state: RecoverStepState, detail: string): Promise<void>;
}

/**
 * What every runbook step works through: the run, its live progress message, and its side
 * effects as named steps (`fx`). Step names are what a Workflow instance replays by, so they
 * are made here only: fixed names for steps that happen once per run, `<what> #<n>` (counted
 * in the order the run makes them) for the rest. Each name must come out the same, in the same
 * order, on every replay of the run and in every version of this code.
 */
export class RunbookContext {
  readonly deps: CoreDeps;
  readonly run: RecoverRun;
  readonly fx: RunSteps;
  readonly views: StepView[];
  readonly facts: RunFacts = { freeze: null, snapshot: null };
  readonly threadTs: string;
  /** When the run opened (clock of the "open" step), for the closing message's duration. */
  readonly started: number;
  private readonly progress: LiveMessage;
  private seq = 0;

  private constructor(
    deps: CoreDeps,
    run: RecoverRun,
    fx: RunSteps,
    views: StepView[],
    opened: { threadTs: string; progressTs: string; started: number },
  ) {
    this.deps = deps;
    this.run = run;
    this.fx = fx;
    this.views = views;
    this.threadTs = opened.threadTs;
    this.started = opened.started;
    // The run's steps replay by name (Workers), so the post's ts comes back from the "open" step.
    this.progress = new LiveMessage(deps.chat, {
      channel: run.actor.channel,
      threadTs: opened.threadTs,
      ts: opened.progressTs,
    });
  }

  /** The "open" step: the host's incident thread and the progress message in it, all steps pending. */
  static async open(deps: CoreDeps, run: RecoverRun, fx: RunSteps): Promise<RunbookContext> {
    const views: StepView[] = RECOVER_STEP_TITLES.map(() => ({ state: "pending", detail: "" }));
    const opened = await fx.do("open", async () => {
      const incident = await incidentThread(deps, {
        channel: run.actor.channel,
        host: run.host,
        actor: run.actor.user,
      });
      const live = new LiveMessage(deps.chat, { channel: run.actor.channel, threadTs: incident.threadTs });
      await live.show(renderRecoverProgress(run.host, run.runId, views, "running"));
      return { threadTs: incident.threadTs, progressTs: live.ts ?? "", started: deps.clock.now() };
    });
    return new RunbookContext(deps, run, fx, views, opened);
  }

  get host(): string {
    return this.run.host;
  }

  /** A step name unique within the run, numbered in the run's order. */
  next(what: string): string {
    return `${what} #${++this.seq}`;
  }

  step(index: number): StepHandle {
    return { index, set: (state, detail) => this.set(index, state, detail) };
  }

  /** Edits the progress message; a failed edit is logged, never the end of the run. */
  async show(phase: RunPhase): Promise<void> {
    await this.progress
      .show(renderRecoverProgress(this.run.host, this.run.runId, this.views, phase))
      .catch((err) => this.deps.logger.warn("recover progress update failed", { err: String(err) }));
  }

  /** Step `i`'s new state, shown in the progress message; every state but `running` audited. */
  async set(i: number, state: RecoverStepState, detail: string): Promise<void> {
    const view = this.views[i];
    if (!view) return;
    view.state = state;
    view.detail = detail;
    await this.fx.do(this.next(`step ${i + 1} ${state}`), async () => {
      await this.show("running");
      if (state !== "running") {
        await this.audit(
          `recover.step${i + 1}`,
          state === "fail" ? "error" : "ok",
          `${RECOVER_STEP_TITLES[i]}: ${state}${detail ? ` — ${detail}` : ""}`.slice(0, 500),
        );
        await this.note(`step ${i + 1} ${RECOVER_STEP_TITLES[i]}: ${state}${detail ? ` — ${detail}` : ""}`);
      }
      return null;
    });
  }

  /** A notice in the incident thread; Slack failing to take it does not stop the run. */
  say(text: string): Promise<null> {
    return this.fx.do(this.next("say"), async () => {
      await this.deps.chat
        .postMessage({ channel: this.run.actor.channel, threadTs: this.threadTs, ...renderNotice(text) })
        .catch(() => undefined);
      return null;
    });
  }

  /**
   * A confirmation nobody answered in time loses its buttons, so nobody presses a dead one;
   * the message says it expired. A failed edit is logged, never the end of the run. Named by
   * its step (each is asked once a run), not by the run's sequence: a run recorded before this
   * step existed replays every later step under the name it was recorded with.
   */
  expireAsk(step: MutatingStep, id: string): Promise<null> {
    return this.fx.do(`expire ${step} confirmation`, async () => {
      const c = await this.deps.recovery.store.getConfirmation(id);
      if (c?.messageTs && c.decision === null) {
        await this.deps.chat
          .updateMessage({
            channel: c.channel,
            ts: c.messageTs,
            threadTs: c.threadTs ?? undefined,
            ...renderExpired(c),
          })
          .catch((err) => this.deps.logger.warn("expired confirmation not updated", { err: String(err) }));
      }
      return null;
    });
  }

  /** A line on the host's incident record, by the run's starter (call inside a step: it is a side effect). */
  async note(text: string): Promise<void> {
    await noteTimeline(this.deps, this.run.host, {
      actor: this.run.actor.user,
      kind: "recover",
      text,
      ref: this.run.runId,
    });
  }

  /** An audit row of this run (call inside a step: it is a side effect). */
  async audit(action: string, outcome: AuditOutcome, detail: string, actor = this.run.actor.user): Promise<void> {
    await audit(this.deps, {
      at: this.deps.clock.now(),
      actor,
      source: this.run.actor.source,
      action,
      host: this.run.host,
      outcome,
      detail,
      ref: this.run.runId,
    });
  }

  /**
   * Posts the confirmation of a mutating step; its id, for `fx.decision`. The id is drawn in a
   * step of its own: a run that resumes mid-request asks again with the same id and gets the
   * confirmation already posted, whose buttons people see.
   */
  async ask(step: MutatingStep, summary: string, offerDrain = false): Promise<string> {
    const id = await this.fx.do(`confirmation id ${step}`, async () => newConfirmationId());
    await this.fx.do(`confirm ${step}`, () =>
      requestConfirmation(this.deps, {
        id,
        host: this.run.host,
        step,
        job: this.run.runId,
        requestedBy: this.run.actor.user,
        channel: this.run.actor.channel,
        threadTs: this.threadTs,
        summary,
        offerDrain,
      }),
    );
    return id;
  }

  /**
   * One job on the agent (job id `<run>-<suffix>`, so a replayed step asks for the same job),
   * queued behind the host's other jobs; its results and the time it finished with them.
   */
  dispatch(
    suffix: string,
    requests: StepRequest[],
    deadlineMs: number,
  ): Promise<{ results: StepResult[]; at: number }> {
    const { deps, run } = this;
    return this.fx.do(`job ${suffix}`, async () => {
      let outcome: JobOutcome | undefined;
      await deps.jobs.inTurn(run.host, async () => {
        outcome = await deps.transport.dispatch(
          run.host,
          { jobId: `${run.runId}-${suffix}`, steps: requests, deadlineMs },
          () => {},
        );
      });
      if (!outcome) throw new Error("the job ended without an outcome");
      if (outcome.status === "rejected") throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      return { results: outcome.results, at: deps.clock.now() };
    });
  }
}
