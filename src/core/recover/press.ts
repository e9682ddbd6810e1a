import { isMutatingStep, MAX_APPROVAL_TTL_MS, type MutatingStep, signApproval } from "../../contract/approval.ts";
import { randomToken } from "../../contract/encoding.ts";
import { audit } from "../audit/audit.ts";
import type { Actor } from "../authz/authz.ts";
import { APPROVAL_TTL_MS, DRAIN_WAIT_MS, type PressDecision, STEP_ACTION } from "../confirmations/confirm.ts";
import { renderDecided, renderExpired, renderRefusal } from "../confirmations/render.ts";
import type { ErrorCode } from "../errors.ts";
import { freezesCovering, guardFrozen } from "../freezes/freezes.ts";
import { noteTimeline } from "../incidents/record.ts";
import { clip } from "../messages/build.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { ConfirmationRecord, Decision } from "../ports/recovery.ts";
import { recoverRuns } from "./runs.ts";

export interface ButtonPress {
  confirmationId: string;
  decision: PressDecision;
  actor: Actor;
}

export type PressOutcome = { ok: true; decision: Decision } | { ok: false; code: PressRefusal; reason: string };

/** Why a press changed nothing: codes of ErrorCode, the same in the audit log, Slack and the console. */
export type PressRefusal = Extract<
  ErrorCode,
  | "unknown_confirmation"
  | "already_used"
  | "expired"
  | "bad_step"
  | "drain_not_offered"
  | "forbidden"
  | "not_frozen"
  | "host_frozen"
  | "not_configured"
>;

type Refusal = { code: PressRefusal; reason: string };

/** Handles one button press. Never throws for a refusal: it returns it (and audits it). */
export async function handleButtonPress(deps: CoreDeps, press: ButtonPress): Promise<PressOutcome> {
  const now = deps.clock.now();
  const c = await deps.recovery.store.getConfirmation(press.confirmationId);
  const refuse = async (code: PressRefusal, reason: string): Promise<PressOutcome> => {
    await audit(deps, {
      at: now,
      actor: press.actor.user,
      source: press.actor.source,
      action: "approval",
      host: c?.host ?? null,
      outcome: "refused",
      detail: `${press.decision} ${c?.step ?? "?"} refused: ${reason}`,
      ref: c?.id ?? null,
    });
    if (c) {
      await noteTimeline(deps, c.host, {
        actor: press.actor.user,
        kind: "approval",
        text: `${press.decision.replace("_", " ")} \`${c.step}\` refused: ${reason}`,
        ref: c.job,
      });
      await deps.chat
        .postMessage({
          channel: c.channel,
          threadTs: c.threadTs ?? undefined,
          ...renderRefusal(press.actor.user, reason),
        })
        .catch((err) => deps.logger.warn("refusal notice not posted", { err: String(err) }));
    }
    return { ok: false, code, reason };
  };
  if (!c) return refuse("unknown_confirmation", "this confirmation does not exist");
  const refusal = await checkPress(deps, press, c, now);
  if (refusal?.code === "not_frozen") {
    // The freeze went while the run waited (an unfreeze, an expiry): no approval can come now, so
    // the run is told to stop at once, and says why in its thread (issue 33, item 5).
    const refused = await refuse(refusal.code, refusal.reason);
    if (await deps.recovery.store.decideConfirmation(c.id, { at: now, by: press.actor.user, decision: "cancel" }))
      await deliverDecision(deps, c, { decision: "cancel", by: press.actor.user }, false);
    return refused;
  }
  if (refusal) return refuse(refusal.code, refusal.reason);
  const step = c.step as MutatingStep;
  const approving = press.decision !== "cancel";
  if (
    !(await deps.recovery.store.decideConfirmation(c.id, {
      at: now,
      by: press.actor.user,
      decision: approving ? "approve" : "cancel",
    }))
  ) {
    return refuse("already_used", "this confirmation was already used or has just expired");
  }
  const decision = await makeDecision(deps, press, c, step, now);
  await recordDecision(deps, press, c, now);
  await deliverDecision(deps, c, decision, approving);
  return { ok: true, decision };
}

/**
 * Whether this press may decide this confirmation: not used, not expired (whose buttons then
 * go), a known step the actor may run, and for an approval a frozen host and a signing key.
 */
async function checkPress(
  deps: CoreDeps,
  press: ButtonPress,
  c: ConfirmationRecord,
  now: number,
): Promise<Refusal | null> {
  if (c.decision !== null)
    return { code: "already_used", reason: `this confirmation was already used (${c.decision} by ${c.decidedBy})` };
  if (c.expiresAt <= now) {
    // Its buttons go, so nobody presses a dead confirmation again.
    if (c.messageTs) {
      await deps.chat
        .updateMessage({ channel: c.channel, ts: c.messageTs, threadTs: c.threadTs ?? undefined, ...renderExpired(c) })
        .catch((err) => deps.logger.warn("expired confirmation not updated", { err: String(err) }));
    }
    return { code: "expired", reason: "this confirmation has expired; start the step again" };
  }
  if (press.decision === "approve_drained" && !c.offersDrain) {
    // "Once drained" approvals live longer: only where the confirmation offered that button.
    return { code: "drain_not_offered", reason: "this confirmation did not offer approving once drained" };
  }
  if (!isMutatingStep(c.step)) return { code: "bad_step", reason: `unknown step ${c.step}` };
  const step = c.step;
  const denied = await deps.recovery.authz.refusal(press.actor, STEP_ACTION[step]);
  if (denied) return { code: "forbidden", reason: denied.replace(/`/g, "") };
  if (press.decision !== "cancel") {
    if ((await freezesCovering(deps.recovery.store, c.host, now)).length === 0) {
      return { code: "not_frozen", reason: `${c.host} is not frozen; a mutating step needs an active freeze` };
    }
    try {
      await guardFrozen(deps, press.actor, c.host, STEP_ACTION[step]);
    } catch (err) {
      return {
        code: "host_frozen",
        reason: err instanceof Error ? err.message.replace(/`/g, "") : String(err),
      };
    }
    if (!deps.recovery.approvalKey)
      return { code: "not_configured", reason: "the control plane has no approval signing key" };
  }
  return null;
}

/** The decision handed to the run: an approval signed for this host, step and job, or a cancel. */
async function makeDecision(
  deps: CoreDeps,
  press: ButtonPress,
  c: ConfirmationRecord,
  step: MutatingStep,
  now: number,
): Promise<Decision> {
  const approving = press.decision !== "cancel";
  const whenDrained = press.decision === "approve_drained";
  if (approving && deps.recovery.approvalKey) {
    const key = deps.recovery.approvalKey;
    const sign = (ttlMs: number) =>
      signApproval(key, {
        v: 1,
        host: c.host,
        step,
        approver: press.actor.user,
        job: c.job,
        nonce: randomToken(18),
        iat: now,
        exp: now + ttlMs,
      });
    const approval = await sign(APPROVAL_TTL_MS + (whenDrained ? DRAIN_WAIT_MS : 0));
    if (step === "gateway.switch") {
      // An upgrade's install and restart take minutes, and its rollback must not wait for a
      // second press while the host is down: both live as long as an approval may.
      return {
        decision: "approve",
        by: press.actor.user,
        approval: await sign(MAX_APPROVAL_TTL_MS),
        whenDrained,
        rollback: await sign(MAX_APPROVAL_TTL_MS),
      };
    }
    return { decision: "approve", by: press.actor.user, approval, whenDrained };
  }
  return { decision: "cancel", by: press.actor.user };
}

/** Audits the decision and replaces the confirmation's buttons with who decided what. */
async function recordDecision(deps: CoreDeps, press: ButtonPress, c: ConfirmationRecord, now: number): Promise<void> {
  const approving = press.decision !== "cancel";
  const whenDrained = press.decision === "approve_drained";
  await audit(deps, {
    at: now,
    actor: press.actor.user,
    source: press.actor.source,
    action: "approval",
    host: c.host,
    outcome: "ok",
    detail: `${approving ? `approved${whenDrained ? " once drained" : ""}` : "cancelled"} ${c.step} (job ${c.job})`,
    ref: c.id,
  });
  await noteTimeline(deps, c.host, {
    actor: press.actor.user,
    kind: "approval",
    text: `${approving ? `approved${whenDrained ? " once drained" : ""}` : "cancelled"} \`${c.step}\` on ${c.host}`,
    ref: c.job,
  });
  if (c.messageTs) {
    await deps.chat
      .updateMessage({
        channel: c.channel,
        ts: c.messageTs,
        // Its thread, for a chat that files a reply by its thread (Discord) and whose process
        // did not post it (a Worker's press, a Workflow's prompt).
        threadTs: c.threadTs ?? undefined,
        ...renderDecided(c, approving ? (whenDrained ? "approve_drained" : "approve") : "cancel", press.actor.user),
      })
      .catch((err) => deps.logger.warn("confirmation update failed", { err: String(err) }));
  }
}

/**
 * To the run waiting on it: in memory on Node, a Workflow event on Workers. A lost hand-off
 * is said aloud.
 */
async function deliverDecision(
  deps: CoreDeps,
  c: ConfirmationRecord,
  decision: Decision,
  approving: boolean,
): Promise<void> {
  try {
    await recoverRuns(deps).deliver(c, decision);
  } catch (err) {
    deps.logger.error("decision not delivered to its run", { confirmation: c.id, run: c.job, err: String(err) });
    await deps.chat
      .postMessage({
        channel: c.channel,
        threadTs: c.threadTs ?? undefined,
        ...renderNotice(
          `⚠️ The ${approving ? "approval" : "cancellation"} was recorded, but run \`${c.job}\` could not be reached (${clip(String(err), 200)}); nothing was run. Check \`/openclaw audit ${c.host}\`, then start \`/openclaw recover ${c.host}\` again if needed.`,
        ),
      })
      .catch(() => undefined);
  }
}
