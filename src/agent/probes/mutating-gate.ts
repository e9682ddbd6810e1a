import { type MutatingStep, verifyApproval } from "../../contract/approval.ts";
import { readAgentConfig } from "../identity.ts";
import { loadApprovalPin, policyRefusal } from "../policy.ts";
import { FileNonceLedger, UsedApprovalsError } from "../used-approvals.ts";
import type { ProbeContext } from "./context.ts";

export type Gate = { ok: true; host: string; approver: string } | { ok: false; refused: string; approver?: string };

/**
 * Every mutating step passes here first and touches nothing unless: the agent is enrolled and
 * has the control plane's approval key pinned; the approval verifies against that key for this
 * host and exactly this step, unexpired and unused; and the host's own policy.json allows the
 * step. The refusal says which of these failed, for the thread and the audit log.
 */
export async function passMutatingGate(ctx: ProbeContext, step: MutatingStep, approval: string): Promise<Gate> {
  if (!ctx.agentDir) return { ok: false, refused: "the agent has no state folder, so no pinned key or policy" };
  let host: string;
  try {
    host = readAgentConfig(ctx.agentDir).host;
  } catch {
    return { ok: false, refused: "the agent is not enrolled (no agent config)" };
  }
  const pinned = loadApprovalPin(ctx.agentDir);
  if (!pinned) return { ok: false, refused: "no control-plane approval key is pinned (enroll again to pin it)" };
  // The ledger lives in the state folder: an approval is good once, whichever job, step or
  // agent process (after a restart, or one-shot under SSM) carries it.
  const ledger = new FileNonceLedger(ctx.agentDir);
  let check: Awaited<ReturnType<typeof verifyApproval>>;
  try {
    check = await verifyApproval(approval, {
      publicKey: pinned,
      host,
      step,
      now: Date.now(),
      seenNonce: (nonce, exp) => ledger.check(nonce, exp, Date.now()),
    });
  } catch (err) {
    if (err instanceof UsedApprovalsError) return { ok: false, refused: `approval refused: ${err.message}` };
    throw err;
  }
  if (!check.ok) return { ok: false, refused: `approval refused: ${check.reason}` };
  const denied = policyRefusal(ctx.agentDir, step, host);
  if (denied) return { ok: false, refused: denied, approver: check.claims.approver };
  return { ok: true, host, approver: check.claims.approver };
}
