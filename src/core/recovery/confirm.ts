import { z } from "zod";
import type { RenderedMessage } from "../render/blocks.ts";
import { clip, context, escapeMrkdwn, renderNotice, section } from "../render/blocks.ts";
import { randomToken } from "../util/encoding.ts";
import { MAX_APPROVAL_TTL_MS, MUTATING_STEPS, type MutatingStep, signApproval } from "./approval.ts";
import type { Actor, MutatingAction } from "./authz.ts";
import { recoverRuns } from "./recover.ts";
import { mention } from "./render.ts";
import { audit, freezesCovering, guardFrozen, type RecoveryCoreDeps } from "./service.ts";
import type { ConfirmationRecord } from "./types.ts";

/**
 * Confirmation buttons for mutating steps. A button press (Slack block_actions, or the local
 * console) becomes a signed approval only if: the confirmation exists, is unexpired and
 * unused; the presser may run the step's action (authorization file); the host is frozen;
 * and the presser owns the freeze or is an incident lead. Anything else changes nothing
 * but the audit log and a refusal in the thread.
 */
export const APPROVE_ACTION_ID = "clawops_approve";
export const CANCEL_ACTION_ID = "clawops_cancel";
/** "Restart once drained": approve now, but let the run wait until nothing is in flight. */
export const APPROVE_DRAINED_ACTION_ID = "clawops_approve_drained";
export const CONFIRMATION_TTL_MS = 5 * 60_000;
/** How long an approval lives once granted: enough to reach the agent. */
export const APPROVAL_TTL_MS = 2 * 60_000;
/** The longest a drained approval waits for the gateway to drain (its approval lives this much longer). */
export const DRAIN_WAIT_MS = MAX_APPROVAL_TTL_MS - APPROVAL_TTL_MS;

export type PressDecision = "approve" | "approve_drained" | "cancel";
const PRESS_BY_ACTION: Record<string, PressDecision> = {
  [APPROVE_ACTION_ID]: "approve",
  [APPROVE_DRAINED_ACTION_ID]: "approve_drained",
  [CANCEL_ACTION_ID]: "cancel",
};

export type Decision =
  | { decision: "approve"; by: string; approval: string; whenDrained: boolean }
  | { decision: "cancel"; by: string }
  | { decision: "timeout" };

/** In-process hand-off from a button press to the run waiting on it. */
export class DecisionBus {
  private readonly waiters = new Map<string, (d: Decision) => void>();

  wait(id: string, timeoutMs: number): Promise<Decision> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ decision: "timeout" });
      }, timeoutMs);
      this.waiters.set(id, (d) => {
        clearTimeout(timer);
        this.waiters.delete(id);
        resolve(d);
      });
    });
  }

  resolve(id: string, d: Decision): void {
    this.waiters.get(id)?.(d);
  }
}

const STEP_ACTION: Record<MutatingStep, MutatingAction> = { "gateway.restart": "restart", "doctor.fix": "doctor.fix" };

export async function requestConfirmation(
  deps: RecoveryCoreDeps,
  req: {
    host: string;
    step: MutatingStep;
    job: string;
    requestedBy: string;
    channel: string;
    threadTs: string | null;
    summary: string;
    /** Offer "once drained" next to "now": something is still in flight on the gateway. */
    offerDrain?: boolean;
    /**
     * The id to use (`newConfirmationId()`, drawn beforehand): asking again with the same id
     * returns the confirmation already posted instead of a second one, so a run that resumes
     * mid-request (Workers: the runtime restarted after the post) keeps the button people see.
     * Cut off between the post and its record, it is posted once more, marked as asked again.
     */
    id?: string;
  },
  ttlMs = CONFIRMATION_TTL_MS,
): Promise<ConfirmationRecord> {
  if (req.id) {
    const asked = await deps.recovery.store.getConfirmation(req.id);
    if (asked?.messageTs) return asked;
    // Recorded but not known to be posted: the run was cut off between the post and the record.
    // Slack has no idempotent post, so it goes out again, saying why there may be two.
    if (asked) return postConfirmation(deps, asked, req.summary, { offerDrain: req.offerDrain ?? false, again: true });
  }
  const now = deps.clock.now();
  const c: ConfirmationRecord = {
    id: req.id ?? newConfirmationId(),
    host: req.host,
    step: req.step,
    action: STEP_ACTION[req.step],
    job: req.job,
    requestedBy: req.requestedBy,
    channel: req.channel,
    threadTs: req.threadTs,
    messageTs: null,
    createdAt: now,
    expiresAt: now + ttlMs,
    decidedAt: null,
    decidedBy: null,
    decision: null,
  };
  await deps.recovery.store.insertConfirmation(c);
  return postConfirmation(deps, c, req.summary, { offerDrain: req.offerDrain ?? false });
}

/** A fresh confirmation id: random, unguessable, the buttons' value. */
export function newConfirmationId(): string {
  return `cf_${randomToken(18)}`;
}

async function postConfirmation(
  deps: RecoveryCoreDeps,
  c: ConfirmationRecord,
  summary: string,
  opts: ConfirmationView,
): Promise<ConfirmationRecord> {
  const posted = await deps.chat.postMessage({
    channel: c.channel,
    threadTs: c.threadTs ?? undefined,
    ...renderConfirmation(c, summary, opts),
  });
  await deps.recovery.store.setConfirmationMessage(c.id, posted.ts);
  return { ...c, messageTs: posted.ts };
}

interface ConfirmationView {
  offerDrain?: boolean;
  /** Posted a second time (see requestConfirmation): the earlier copy may be in the thread. */
  again?: boolean;
}

export function renderConfirmation(
  c: ConfirmationRecord,
  summary: string,
  opts: ConfirmationView = {},
): RenderedMessage {
  return {
    text: `Confirm ${c.step} on ${c.host}`,
    blocks: [
      section(
        `🔐 *Confirm \`${c.step}\` on ${c.host}?*\n${summary}\nAn allowed user who owns the freeze (or an incident lead) must approve within ${Math.round((c.expiresAt - c.createdAt) / 60_000)} min. The approval is valid for this host and this step only, once.`,
      ),
      {
        type: "actions",
        block_id: "clawops_confirm",
        elements: [
          {
            type: "button",
            action_id: APPROVE_ACTION_ID,
            text: { type: "plain_text", text: `Approve ${c.step}` },
            style: "danger",
            value: c.id,
            confirm: {
              title: { type: "plain_text", text: "Are you sure?" },
              text: { type: "mrkdwn", text: clip(`Run \`${c.step}\` on *${c.host}* now?`, 300) },
              confirm: { type: "plain_text", text: "Approve" },
              deny: { type: "plain_text", text: "Not yet" },
            },
          },
          ...(opts.offerDrain
            ? [
                {
                  type: "button",
                  action_id: APPROVE_DRAINED_ACTION_ID,
                  text: { type: "plain_text", text: "Approve once drained" },
                  value: c.id,
                  confirm: {
                    title: { type: "plain_text", text: "Restart once drained?" },
                    text: {
                      type: "mrkdwn",
                      text: clip(
                        `Run \`${c.step}\` on *${c.host}* as soon as no task is active and no cron job is due (checked every 15 s, for up to ${Math.round(DRAIN_WAIT_MS / 60_000)} min)?`,
                        300,
                      ),
                    },
                    confirm: { type: "plain_text", text: "Approve" },
                    deny: { type: "plain_text", text: "Not yet" },
                  },
                },
              ]
            : []),
          {
            type: "button",
            action_id: CANCEL_ACTION_ID,
            text: { type: "plain_text", text: "Cancel" },
            value: c.id,
          },
        ],
      },
      ...(opts.again
        ? [
            context(
              "Asked again: clawops restarted while posting this confirmation, so a copy may be above. Both carry the same approval, good once.",
            ),
          ]
        : []),
    ],
  };
}

export interface ButtonPress {
  confirmationId: string;
  decision: PressDecision;
  actor: Actor;
}

export type PressOutcome = { ok: true; decision: Decision } | { ok: false; code: string; reason: string };

/** Handles one button press. Never throws for a refusal: it returns it (and audits it). */
export async function handleButtonPress(deps: RecoveryCoreDeps, press: ButtonPress): Promise<PressOutcome> {
  const now = deps.clock.now();
  const c = await deps.recovery.store.getConfirmation(press.confirmationId);
  const refuse = async (code: string, reason: string): Promise<PressOutcome> => {
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
          text: `Refused: ${reason}`,
          blocks: [section(`⛔ ${mention(press.actor.user)}: ${escapeMrkdwn(reason)}`)],
        })
        .catch((err) => deps.logger.warn("refusal notice not posted", { err: String(err) }));
    }
    return { ok: false, code, reason };
  };
  if (!c) return refuse("unknown_confirmation", "this confirmation does not exist");
  if (c.decision !== null)
    return refuse("already_used", `this confirmation was already used (${c.decision} by ${c.decidedBy})`);
  if (c.expiresAt <= now) return refuse("expired", "this confirmation has expired; start the step again");
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
    const verb = approving ? `✅ Approved${whenDrained ? " (once drained)" : ""}` : "✖️ Cancelled";
    await deps.chat
      .updateMessage({
        channel: c.channel,
        ts: c.messageTs,
        text: `${verb} ${c.step} on ${c.host}`,
        blocks: [section(`${verb} \`${c.step}\` on *${c.host}* by ${mention(press.actor.user)}.`)],
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

/** Slack's block_actions payload, just the fields used. https://api.slack.com/reference/interaction-payloads/block-actions */
export const BlockActionsPayload = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(100).optional() })).min(1),
});

export function pressFromBlockActions(payload: z.infer<typeof BlockActionsPayload>): ButtonPress | null {
  const action = payload.actions.find((a) => PRESS_BY_ACTION[a.action_id] !== undefined);
  const decision = action ? PRESS_BY_ACTION[action.action_id] : undefined;
  if (!action?.value || !decision) return null;
  return {
    confirmationId: action.value,
    decision,
    actor: { user: payload.user.id, channel: payload.channel?.id ?? "", source: "slack" },
  };
}
