import type { MutatingStep } from "../../contract/approval.ts";
import type { GatewayInflightData, StepName, StepRequest, StepResultOf } from "../../contract/catalog.ts";
import { DEFAULT_STEP_DEADLINE_MS, slowestDeadlineMs, stepPlan } from "../../contract/catalog.ts";
import { collectBundleOnRecoverFailure } from "../bundles/bundle.ts";
import { classifyResults } from "../classify/classify.ts";
import { LiveMessage } from "../jobs/live-message.ts";
import type { Layer } from "../layers.ts";
import { clip, escapeMrkdwn, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { JobOutcome } from "../ports.ts";
import { renderNotice } from "../render/messages.ts";
import { CONFIRMATION_TTL_MS, DRAIN_WAIT_MS, newConfirmationId, requestConfirmation } from "./confirm.ts";
import { iso, mention, renderUnfreezeNotice } from "./render.ts";
import { announceFreeze, audit, ensureIncidentThread, type RecoveryCoreDeps } from "./service.ts";
import type { FreezeRecord, RecoverRun, RunSteps } from "./types.ts";

/**
 * `/openclaw recover <host>`: the seeds' six-step runbook (connection-error article, section 3),
 * each step shown live in one message of the incident thread, edited in place.
 */
export const RECOVER_STEP_TITLES = [
  "Freeze",
  "State snapshot (versions, status, token rotation, config edits)",
  "Workspace and model routing",
  "Doctor / config validate",
  "Ordered restart",
  "Acceptance: one read, one write",
] as const;

export type RecoverStepState = "pending" | "running" | "ok" | "warn" | "fail" | "skipped";
export interface StepView {
  state: RecoverStepState;
  detail: string;
}

const ICON: Record<RecoverStepState, string> = {
  pending: "⏳",
  running: "🔄",
  ok: "✅",
  warn: "🟡",
  fail: "❌",
  skipped: "⏭️",
};

const RECOVER_FREEZE_MS = 60 * 60_000;
const SNAPSHOT_PLAN = [
  "versions",
  "gateway.status",
  "tokens",
  "config",
  "models.status",
  "doctor.lint",
] as const satisfies readonly StepName[];

export const ROLLBACK_ADVICE =
  "*Rollback (seeds, sections 3–4):* if the restart still yields `gateway closed (1000)`, first establish who listens on the port and which user started it (`ss -ltnp`, `openclaw gateway status --deep`): a process that never exited or a drifted container bind mount is the usual cause. Then roll the config back: restore `openclaw.json.last-good` (or the newest `openclaw.json.bak`) in the state dir, restart again and re-run `/openclaw recover`. System logs: `journalctl -u <unit> -n 200 --no-pager`, or `docker compose logs --tail=200 gateway`.";

/** Hook point for repro bundles: posted when a run stops; the bundle command answers it. */
export const REPRO_BUNDLE_OFFER =
  "📦 Want a repro bundle (redacted probe results, log signatures, versions, this run's audit trail) for the ticket? Ask with `/openclaw bundle <host>` in this thread.";

/** Posted instead of the offer when bundles are configured: the run collects one itself. */
export const REPRO_BUNDLE_AUTO =
  "📦 Collecting a redacted repro bundle of this host now; it follows in this thread (and is kept for the ticket).";

export async function runRecover(deps: RecoveryCoreDeps, run: RecoverRun, fx: RunSteps): Promise<void> {
  const { chat, clock } = deps;
  const { host, actor, runId } = run;
  const steps: StepView[] = RECOVER_STEP_TITLES.map(() => ({ state: "pending", detail: "" }));
  // Step names: unique and in the same order on every replay of the run.
  let seq = 0;
  const next = (what: string) => `${what} #${++seq}`;
  const { threadTs, progressTs, started } = await fx.do("open", async () => {
    const incident = await ensureIncidentThread(deps, actor.channel, host, actor.user);
    const live = new LiveMessage(chat, { channel: actor.channel, threadTs: incident.threadTs });
    await live.show(renderRecoverProgress(host, runId, steps, "running"));
    return { threadTs: incident.threadTs, progressTs: live.ts ?? "", started: clock.now() };
  });
  // The run's steps replay by name (Workers), so the post's ts comes back from the "open" step.
  const progress = new LiveMessage(chat, { channel: actor.channel, threadTs, ts: progressTs });
  const show = async (phase: "running" | "done" | "stopped") => {
    await progress
      .show(renderRecoverProgress(host, runId, steps, phase))
      .catch((err) => deps.logger.warn("recover progress update failed", { err: String(err) }));
  };
  const set = async (i: number, state: RecoverStepState, detail: string) => {
    const view = steps[i];
    if (!view) return;
    view.state = state;
    view.detail = detail;
    await fx.do(next(`step ${i + 1} ${state}`), async () => {
      await show("running");
      if (state !== "running") {
        await audit(deps, {
          at: clock.now(),
          actor: actor.user,
          source: actor.source,
          action: `recover.step${i + 1}`,
          host,
          outcome: state === "fail" ? "error" : "ok",
          detail: `${RECOVER_STEP_TITLES[i]}: ${state}${detail ? ` — ${detail}` : ""}`.slice(0, 500),
          ref: runId,
        });
      }
      return null;
    });
  };
  const say = (text: string) =>
    fx.do(next("say"), async () => {
      await chat.postMessage({ channel: actor.channel, threadTs, ...renderNotice(text) }).catch(() => undefined);
      return null;
    });
  const stop = async (why: string) => {
    for (const s of steps) if (s.state === "pending") s.state = "skipped";
    await fx.do(next("stopped"), async () => {
      await show("stopped");
      return null;
    });
    const collecting = deps.bundles !== undefined;
    await say(
      `🧊 Recovery of *${host}* stopped: ${why}\nThe freeze stays until you lift it (\`/openclaw unfreeze ${host}\`) or it expires.\n${ROLLBACK_ADVICE}\n${collecting ? REPRO_BUNDLE_AUTO : REPRO_BUNDLE_OFFER.replace("<host>", host)}`,
    );
    // Issue 5: a failed run collects its repro bundle on its own (one per run: the request key).
    if (collecting) {
      await fx.do(next("bundle"), async () => {
        const outcome = await collectBundleOnRecoverFailure(deps, {
          host,
          channel: actor.channel,
          user: actor.user,
          requestKey: `${runId}:bundle`,
          reason: why,
        });
        await audit(deps, {
          at: clock.now(),
          actor: actor.user,
          source: actor.source,
          action: "recover.bundle",
          host,
          outcome: outcome.status === "stored" ? "ok" : "error",
          detail: outcome.status === "stored" ? `bundle ${outcome.bundleId}` : outcome.reason.slice(0, 500),
          ref: runId,
        });
        return null;
      });
    }
  };
  /**
   * Posts the confirmation of a mutating step; its id, for `fx.decision`. The id is drawn in a
   * step of its own: a run that resumes mid-request asks again with the same id and gets the
   * confirmation already posted, whose buttons people see.
   */
  const ask = async (step: MutatingStep, summary: string, offerDrain = false): Promise<string> => {
    const id = await fx.do(`confirmation id ${step}`, async () => newConfirmationId());
    await fx.do(`confirm ${step}`, () =>
      requestConfirmation(deps, {
        id,
        host,
        step,
        job: runId,
        requestedBy: actor.user,
        channel: actor.channel,
        threadTs,
        summary,
        offerDrain,
      }),
    );
    return id;
  };
  /** One job on the agent, queued behind the host's other jobs; the time it finished with it. */
  const dispatch = (suffix: string, requests: StepRequest[], deadlineMs: number) =>
    fx.do(`job ${suffix}`, async () => {
      let outcome: JobOutcome | undefined;
      await deps.hostQueue.run(host, async () => {
        outcome = await deps.transport.dispatch(
          host,
          { jobId: `${runId}-${suffix}`, steps: requests, deadlineMs },
          () => {},
        );
      });
      if (!outcome) throw new Error("the job ended without an outcome");
      if (outcome.status === "rejected") throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      return { results: outcome.results, at: clock.now() };
    });

  try {
    // 1. Freeze (or keep the actor's own freeze), announced like `/openclaw freeze`.
    await set(0, "running", "");
    const freeze = await fx.do("freeze", async (): Promise<FreezeRecord> => {
      const now = clock.now();
      const existing = await deps.recovery.store.getFreeze(host);
      if (existing && existing.expiresAt > now && existing.owner === actor.user) return existing;
      const placed: FreezeRecord = {
        target: host,
        owner: actor.user,
        reason: `recovery run ${runId} (restart pending)`,
        source: actor.source,
        createdAt: now,
        expiresAt: now + RECOVER_FREEZE_MS,
        channel: actor.channel,
        notices: [],
      };
      await deps.recovery.store.putFreeze(placed);
      await announceFreeze(deps, placed);
      return placed;
    });
    await set(0, "ok", `frozen by ${mention(actor.user)} until ${iso(freeze.expiresAt)}`);

    // 2–4. Snapshot, workspace + model routing, doctor: the triage probes, read-only.
    await set(1, "running", "");
    await set(2, "running", "");
    await set(3, "running", "");
    const { results: snapshot } = await dispatch(
      "snapshot",
      stepPlan(SNAPSHOT_PLAN),
      slowestDeadlineMs(SNAPSHOT_PLAN) + 3_000,
    );
    const c12n = classifyResults(snapshot, SNAPSHOT_PLAN);
    const layer = (l: Layer) => c12n.matrix[l].status;
    const titles = (ls: Layer[]) =>
      c12n.findings
        .filter((f) => ls.includes(f.layer))
        .slice(0, 2)
        .map((f) => f.title)
        .join("; ");
    const versions = snapshot.find((r): r is StepResultOf<"versions"> => r.step === "versions");
    const tokens = snapshot.find((r): r is StepResultOf<"tokens"> => r.step === "tokens");
    const snapDetail = [
      versions?.data?.openclaw ? `openclaw ${versions.data.openclaw}` : "openclaw version unknown",
      tokens?.status === "ok" ? "token sources read" : "token sources unreadable",
      titles(["auth", "config"]),
    ]
      .filter(Boolean)
      .join(" · ");
    await set(1, versions?.status === "ok" ? (layer("auth") === "fail" ? "warn" : "ok") : "warn", snapDetail);
    const ws = layer("workspace");
    const mr = layer("model_routing");
    await set(
      2,
      ws === "fail" || mr === "fail" ? "warn" : "ok",
      `workspace ${ws}, model routing ${mr}${titles(["workspace", "model_routing"]) ? ` · ${titles(["workspace", "model_routing"])}` : ""}`,
    );
    const cfg = layer("config");
    const cfgDetail = `config ${cfg}${titles(["config"]) ? ` · ${titles(["config"])}` : ""}`;
    const lint = snapshot.find((r): r is StepResultOf<"doctor.lint"> => r.step === "doctor.lint");
    const lintErrors = (lint?.data?.findings ?? []).filter((f) => f.severity === "error");
    if (lintErrors.length === 0) {
      await set(3, cfg === "fail" ? "warn" : "ok", cfgDetail);
    } else {
      // Doctor's own repairs are a mutating step: a confirmation, an approval, the agent's policy.
      await set(
        3,
        "running",
        `doctor --lint: ${lintErrors.length} error(s); waiting for confirmation of doctor --repair`,
      );
      const fixAsk = await ask(
        "doctor.fix",
        `\`openclaw doctor --lint\` reports ${lintErrors.length} error(s): ${lintErrors
          .slice(0, 3)
          .map((f) => `\`${escapeMrkdwn(f.checkId)}\` ${escapeMrkdwn(clip(f.message, 160))}`)
          .join(
            "; ",
          )}.\nApprove runs \`openclaw doctor --repair --non-interactive\` on ${host} (it rewrites the config and keeps \`openclaw.json.bak\`). Cancel skips it; the run goes on to the restart either way.`,
      );
      const fixDecision = await fx.decision("decision doctor.fix", fixAsk, CONFIRMATION_TTL_MS);
      if (fixDecision.decision !== "approve") {
        await set(
          3,
          "warn",
          `${cfgDetail} · doctor --repair skipped (${fixDecision.decision === "cancel" ? `cancelled by ${mention(fixDecision.by)}` : "no confirmation in time"})`,
        );
      } else {
        await set(3, "running", `approved by ${mention(fixDecision.by)}; running doctor --repair`);
        const {
          results: [fixed],
        } = await dispatch(
          "doctor-fix",
          [{ step: "doctor.fix", args: { approval: fixDecision.approval } }],
          DEFAULT_STEP_DEADLINE_MS["doctor.fix"] + 5_000,
        );
        const f = fixed?.step === "doctor.fix" ? fixed.data : undefined;
        if (!f?.performed) {
          await set(
            3,
            "warn",
            `doctor --repair not run: ${escapeMrkdwn(f?.refused ?? fixed?.error?.message ?? "no answer from the agent")}`,
          );
        } else {
          const left = (f.lintAfter?.findings ?? []).filter((x) => x.severity === "error").length;
          const changes = f.changes ?? [];
          await set(
            3,
            f.error || left > 0 ? "warn" : "ok",
            [
              `doctor --repair: ${changes.length} change(s)${
                changes.length
                  ? ` (${changes
                      .slice(0, 3)
                      .map((c) => escapeMrkdwn(clip(c, 80)))
                      .join("; ")}${changes.length > 3 ? "; …" : ""})`
                  : ""
              }`,
              f.configHashBefore !== f.configHashAfter
                ? `config rewritten${f.configUpdated?.backup ? `, backup ${escapeMrkdwn(f.configUpdated.backup)}` : ""}`
                : "config unchanged",
              f.error ? escapeMrkdwn(f.error) : `doctor --lint after: ${left} error(s)`,
            ].join(" · "),
          );
        }
      }
    }

    // 5. Ordered restart: what is in flight first, then the operator's confirmation.
    await set(4, "running", "reading what is in flight on the gateway");
    let reads = 0;
    /** What is in flight, and whether it keeps the gateway from draining, as of that read. */
    const readInflight = async () => {
      const { results, at } = await dispatch(`inflight-${++reads}`, [{ step: "gateway.inflight", args: {} }], 15_000);
      const [inflight] = results;
      const flight = inflight?.step === "gateway.inflight" ? inflight.data : undefined;
      return { flight, busy: inflightBusy(flight, at), at };
    };
    const first = await readInflight();
    const restartAsk = await ask(
      "gateway.restart",
      `${describeInflight(first.flight)}${first.busy ? " Approve now, or approve once drained and the run waits until nothing is active." : ""}`,
      first.busy !== null,
    );
    await set(4, "running", "waiting for confirmation");
    const decision = await fx.decision("decision gateway.restart", restartAsk, CONFIRMATION_TTL_MS);
    if (decision.decision !== "approve") {
      await set(
        4,
        "fail",
        decision.decision === "cancel" ? `cancelled by ${mention(decision.by)}` : "no confirmation in time",
      );
      await stop(
        decision.decision === "cancel" ? "the restart was cancelled." : "nobody confirmed the restart in time.",
      );
      return;
    }
    if (decision.whenDrained) {
      // Re-read the gateway until nothing is active; the approval was signed to outlive this wait.
      const pollMs = deps.recovery.drainPollMs ?? 15_000;
      let read = await readInflight();
      const waitStarted = read.at;
      while (read.busy !== null) {
        const waited = read.at - waitStarted;
        if (waited >= DRAIN_WAIT_MS) {
          const why = `the gateway did not drain within ${Math.round(DRAIN_WAIT_MS / 60_000)} min (${read.busy}); nothing was restarted`;
          await set(4, "fail", why);
          await stop(`${why}. Run \`/openclaw recover ${host}\` again and approve now to go ahead regardless.`);
          return;
        }
        await set(
          4,
          "running",
          `approved by ${mention(decision.by)} once drained; waiting: ${read.busy} (${Math.round(waited / 1000)} s)`,
        );
        await fx.sleep(next("drain wait"), pollMs);
        read = await readInflight();
      }
      await fx.do("drained", async () => {
        await audit(deps, {
          at: clock.now(),
          actor: decision.by,
          source: actor.source,
          action: "recover.drained",
          host,
          outcome: "ok",
          detail: `drained after ${Math.round((read.at - waitStarted) / 1000)} s`,
          ref: runId,
        });
        return null;
      });
    }
    await set(4, "running", `approved by ${mention(decision.by)}; restarting`);
    const {
      results: [restart],
    } = await dispatch(
      "restart",
      [{ step: "gateway.restart", args: { approval: decision.approval } }],
      DEFAULT_STEP_DEADLINE_MS["gateway.restart"] + 5_000,
    );
    const r = restart?.step === "gateway.restart" ? restart.data : undefined;
    if (!r?.performed || r.error) {
      const why = r?.refused ?? r?.error ?? restart?.error?.message ?? "no answer from the agent";
      await set(4, "fail", escapeMrkdwn(why));
      await stop(`the restart did not happen: ${escapeMrkdwn(why)}`);
      return;
    }
    await set(
      4,
      "ok",
      `${r.supervisor}${r.unit ? ` (${escapeMrkdwn(r.unit)})` : ""}: pid ${r.oldPid} exited after ${Math.round((r.exitedAfterMs ?? 0) / 100) / 10} s, pid ${r.newPid} ready after ${Math.round((r.readyAfterMs ?? 0) / 100) / 10} s`,
    );

    // 6. Acceptance: one read-only call and one write call through the gateway.
    await set(5, "running", "");
    const {
      results: [acc],
    } = await dispatch("acceptance", [{ step: "gateway.acceptance", args: {} }], 20_000);
    const a = acc?.step === "gateway.acceptance" ? acc.data : undefined;
    // A scratch session the delete could not remove stays on the gateway: say so, with its label.
    const leftBehind =
      a?.cleanup && !a.cleanup.ok
        ? `; scratch session \`clawops-acceptance-*\` not deleted (${escapeMrkdwn(a.cleanup.error ?? "failed")})`
        : "";
    const accText = a
      ? `read \`${a.read?.method ?? "status"}\` ${a.read?.ok ? "ok" : "failed"}, write \`${a.write?.method ?? "sessions.create"}\` ${a.write?.ok ? "ok" : "failed"}${a.error ? ` (${escapeMrkdwn(a.error)})` : ""}${leftBehind}`
      : "no answer";
    if (!a?.passed) {
      await set(5, "fail", accText);
      await stop(`acceptance failed: ${accText}.`);
      return;
    }
    await set(5, "ok", accText);
    await fx.do("done", async () => {
      const lifted = await deps.recovery.store.removeFreeze(host, freeze.createdAt);
      await show("done");
      if (lifted) {
        for (const ref of freezeRefs(lifted)) {
          await chat
            .postMessage({
              channel: ref.channel,
              threadTs: ref.threadTs ?? undefined,
              ...renderUnfreezeNotice(lifted, actor.user, clock.now()),
            })
            .catch(() => undefined);
        }
      }
      await chat
        .postMessage({
          channel: actor.channel,
          threadTs,
          ...renderNotice(
            `✅ *${host}* recovered in ${Math.round((clock.now() - started) / 1000)} s: gateway serving, read and write pass. Freeze lifted.`,
          ),
        })
        .catch(() => undefined);
      return null;
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error("recover failed", { host, run: runId, err: message });
    const i = steps.findIndex((s) => s.state === "running");
    if (i >= 0) await set(i, "fail", escapeMrkdwn(clip(message, 200)));
    await stop(`an error stopped it: ${escapeMrkdwn(clip(message, 300))}`);
  }
}

/** Cron jobs due this soon count as in flight: a restart would cut them off as they start. */
const CRON_DUE_MARGIN_MS = 2 * 60_000;

/** What keeps a gateway from being drained, in words; null when nothing is active or due. */
export function inflightBusy(flight: GatewayInflightData | undefined, now: number): string | null {
  if (!flight?.reachable) return null; // Nothing to wait for that can be seen: the restart is the fix.
  const parts: string[] = [];
  const active = flight.tasks?.active ?? 0;
  if (active > 0) parts.push(`${active} active task(s)`);
  const due = (flight.cron?.dueSoon ?? []).filter((j) => j.nextRunAtMs - now <= CRON_DUE_MARGIN_MS);
  if (due.length > 0) parts.push(`cron due: ${due.map((j) => escapeMrkdwn(j.name)).join(", ")}`);
  return parts.length > 0 ? parts.join(", ") : null;
}

function describeInflight(flight: GatewayInflightData | undefined): string {
  if (!flight) return "In flight: unknown (the gateway did not answer).";
  if (!flight.reachable)
    return `In flight: unknown, the gateway refused the agent (${escapeMrkdwn(flight.error ?? "no answer")}).`;
  const due = flight.cron?.dueSoon ?? [];
  return `In flight: ${flight.sessions?.count ?? "?"} session(s), ${flight.tasks?.active ?? "?"} active task(s), ${flight.cron ? due.length : "?"} cron job(s) due within 10 min${due.length ? ` (${due.map((j) => escapeMrkdwn(j.name)).join(", ")})` : ""}.`;
}

function freezeRefs(f: FreezeRecord) {
  return f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }];
}

export function renderRecoverProgress(
  host: string,
  runId: string,
  steps: readonly StepView[],
  phase: "running" | "done" | "stopped",
): Message {
  const head = phase === "running" ? "🛠️ Recovering" : phase === "done" ? "✅ Recovered" : "🧊 Recovery stopped:";
  const lines = steps.map(
    (s, i) => `${ICON[s.state]} *${i + 1}. ${RECOVER_STEP_TITLES[i]}*${s.detail ? ` — ${s.detail}` : ""}`,
  );
  return {
    text: `${head.replace(/^\S+ /, "")} ${host} (${steps.filter((s) => s.state === "ok").length}/6 steps ok)`,
    parts: [section(`${head} *${host}* (run \`${runId}\`)`), section(lines.join("\n"))],
  };
}
