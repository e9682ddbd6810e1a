import { MUTATING_STEPS, type MutatingStep, signApproval } from "../../contract/approval.ts";
import { randomToken } from "../../contract/encoding.ts";
import type { ErrorCode } from "../errors.ts";
import { clip } from "../messages/build.ts";
import { renderNotice } from "../render/messages.ts";
import type { Actor } from "./authz.ts";
import { APPROVAL_TTL_MS, DRAIN_WAIT_MS, type PressDecision, STEP_ACTION } from "./confirm.ts";
import { renderDecided, renderExpired, renderRefusal } from "./render.ts";
import { recoverRuns } from "./runs.ts";
import { audit, freezesCovering, guardFrozen, type RecoveryCoreDeps } from "./service.ts";
import type { Decision } from "./types.ts";

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

/** Handles one button press. Never throws for a refusal: it returns it (and audits it). */
export async function handleButtonPress(deps: RecoveryCoreDeps, press: ButtonPress): Promise<PressOutcome> {
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
  if (c.decision !== null)
    return refuse("already_used", `this confirmation was already used (${c.decision} by ${c.decidedBy})`);
  if (c.expiresAt <= now) {
    // Its buttons go, so nobody presses a dead confirmation again.
    if (c.messageTs) {
      await deps.chat
        .updateMessage({ channel: c.channel, ts: c.messageTs, ...renderExpired(c) })
        .catch((err) => deps.logger.warn("expired confirmation not updated", { err: String(err) }));
    }
    return refuse("expired", "this confirmation has expired; start the step again");
  }
  if (press.decision === "approve_drained" && !c.offersDrain) {
    // "Once drained" approvals live longer: only where the confirmation offered that button.
    return refuse("drain_not_offered", "this confirmation did not offer approving once drained");
  }
  if (!(MUTATING_STEPS as readonly string[]).includes(c.step)) return refuse("bad_step", `unknown step ${c.step}`);
  const step = c.step as MutatingStep;
  const denied = await deps.recovery.authz.refusal(press.actor, STEP_ACTION[step]);
  if (denied) return refuse("forbidden", denied.replace(/`/g, ""));
  const approving = press.decision !== "cancel";
  if (approving) {
    if ((await freezesCovering(deps.recovery.store, c.host, now)).length === 0) {
      return refuse("not_frozen", `${c.host} is not frozen; a mutating step needs an active freeze`);
    }
    try {
      await guardFrozen(deps, press.actor, c.host, STEP_ACTION[step]);
    } catch (err) {
      return refuse("host_frozen", err instanceof Error ? err.message.replace(/`/g, "") : String(err));
    }
    if (!deps.recovery.approvalKey) return refuse("not_configured", "the control plane has no approval signing key");
  }
  if (
    !(await deps.recovery.store.decideConfirmation(c.id, {
      at: now,
      by: press.actor.user,
      decision: approving ? "approve" : "cancel",
    }))
  ) {
    return refuse("already_used", "this confirmation was already used or has just expired");
  }
  let decision: Decision;
  const whenDrained = press.decision === "approve_drained";
  if (approving && deps.recovery.approvalKey) {
    const approval = await signApproval(deps.recovery.approvalKey, {
      v: 1,
      host: c.host,
      step,
      approver: press.actor.user,
      job: c.job,
      nonce: randomToken(18),
      iat: now,
      exp: now + APPROVAL_TTL_MS + (whenDrained ? DRAIN_WAIT_MS : 0),
    });
    decision = { decision: "approve", by: press.actor.user, approval, whenDrained };
  } else {
    decision = { decision: "cancel", by: press.actor.user };
  }
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
  if (c.messageTs) {
    await deps.chat
      .updateMessage({
        channel: c.channel,
        ts: c.messageTs,
        ...renderDecided(c, approving ? (whenDrained ? "approve_drained" : "approve") : "cancel", press.actor.user),
      })
      .catch((err) => deps.logger.warn("confirmation update failed", { err: String(err) }));
  }
  // To the run waiting on it: in memory on Node, a Workflow event on Workers. A lost hand-off
  // is said aloud.
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
  return { ok: true, decision };
}
