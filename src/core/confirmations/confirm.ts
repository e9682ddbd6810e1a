import type { MutatingStep } from "../../contract/approval.ts";
import { MAX_APPROVAL_TTL_MS } from "../../contract/approval.ts";
import { randomToken } from "../../contract/encoding.ts";
import type { MutatingAction } from "../authz/authz.ts";
import { noteTimeline } from "../incidents/record.ts";
import { actions, context, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { ConfirmationRecord } from "../ports/recovery.ts";

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
export const PRESS_BY_ACTION: Record<string, PressDecision> = {
  [APPROVE_ACTION_ID]: "approve",
  [APPROVE_DRAINED_ACTION_ID]: "approve_drained",
  [CANCEL_ACTION_ID]: "cancel",
};

export const STEP_ACTION: Record<MutatingStep, MutatingAction> = {
  "gateway.restart": "restart",
  "doctor.fix": "doctor.fix",
  "gateway.switch": "upgrade",
};

export async function requestConfirmation(
  deps: CoreDeps,
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
    offersDrain: req.offerDrain ?? false,
  };
  await deps.recovery.store.insertConfirmation(c);
  await noteTimeline(deps, c.host, {
    actor: c.requestedBy,
    kind: "approval",
    text: `asked for approval of \`${c.step}\` on ${c.host} (expires in ${Math.round(ttlMs / 60_000)} min)`,
    ref: c.job,
  });
  return postConfirmation(deps, c, req.summary, { offerDrain: req.offerDrain ?? false });
}

/** A fresh confirmation id: random, unguessable, the buttons' value. */
export function newConfirmationId(): string {
  return `cf_${randomToken(18)}`;
}

async function postConfirmation(
  deps: CoreDeps,
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

export function renderConfirmation(c: ConfirmationRecord, summary: string, opts: ConfirmationView = {}): Message {
  return {
    text: `Confirm ${c.step} on ${c.host}`,
    parts: [
      section(
        `🔐 *Confirm \`${c.step}\` on ${c.host}?*\n${summary}\nAn allowed user who owns the freeze (or an incident lead) must approve within ${Math.round((c.expiresAt - c.createdAt) / 60_000)} min. The approval is valid for this host and this step only, once.`,
      ),
      actions("clawops_confirm", [
        {
          actionId: APPROVE_ACTION_ID,
          label: `Approve ${c.step}`,
          style: "danger",
          value: c.id,
          confirm: {
            title: "Are you sure?",
            text: `Run \`${c.step}\` on *${c.host}* now?`,
            confirm: "Approve",
            deny: "Not yet",
          },
        },
        ...(opts.offerDrain
          ? [
              {
                actionId: APPROVE_DRAINED_ACTION_ID,
                label: "Approve once drained",
                value: c.id,
                confirm: {
                  title: "Restart once drained?",
                  text: `Run \`${c.step}\` on *${c.host}* as soon as no task is active and no cron job is due (checked every 15 s, for up to ${Math.round(DRAIN_WAIT_MS / 60_000)} min)?`,
                  confirm: "Approve",
                  deny: "Not yet",
                },
              },
            ]
          : []),
        { actionId: CANCEL_ACTION_ID, label: "Cancel", value: c.id },
      ]),
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
