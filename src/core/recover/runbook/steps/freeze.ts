import { announceFreeze } from "../../../freezes/freezes.ts";
import { iso, mention } from "../../../messages/format.ts";
import type { FreezeRecord } from "../../../ports/recovery.ts";
import type { RunbookStep } from "../step.ts";

const RECOVER_FREEZE_MS = 60 * 60_000;

/** 1. Freeze the host (or keep the actor's own freeze), announced like `/openclaw freeze`. */
export const freezeHost: RunbookStep = async (ctx, at) => {
  const { deps, run } = ctx;
  const { actor, host, runId } = run;
  await at.set("running", "");
  const freeze = await ctx.fx.do("freeze", async (): Promise<FreezeRecord> => {
    const now = deps.clock.now();
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
  ctx.facts.freeze = freeze;
  await at.set("ok", `frozen by ${mention(actor.user)} until ${iso(freeze.expiresAt)}`);
  return "next";
};
