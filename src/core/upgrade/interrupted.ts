import { audit } from "../audit/audit.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { recoverRuns } from "../recover/runs.ts";

/** The reason run.ts gives the freeze it places (`runFreezeReason`): which run, which target. */
const RUN_FREEZE = /^upgrade run (\S+) to OpenClaw (\S+)$/;

/**
 * An upgrade run lives in the control plane's process: a restart ends it wherever it was. The
 * host it was upgrading keeps the run's freeze, whose reason names the run; no run of this
 * process holds that host. Each such freeze is said once in its channel (the run stopped, the
 * host runs the old version or the new one, never half: the agent's switch is a rename) and
 * audited, and its reason rewritten so the next sweep passes it by. The freeze stays: a person
 * looks before anything else changes the host.
 */
export async function noteInterruptedUpgrades(deps: CoreDeps): Promise<string[]> {
  const noted: string[] = [];
  const now = deps.clock.now();
  for (const f of await deps.recovery.store.listFreezes()) {
    const m = RUN_FREEZE.exec(f.reason);
    if (!m || f.expiresAt <= now || (await recoverRuns(deps).running(f.target))) continue;
    const [, runId, target] = m as unknown as [string, string, string];
    await deps.recovery.store.putFreeze({ ...f, reason: `${f.reason}, interrupted by a control-plane restart` });
    await audit(deps, {
      at: now,
      actor: f.owner,
      source: f.source,
      action: "upgrade.run",
      host: f.target,
      outcome: "error",
      detail: `interrupted by a control-plane restart while upgrading ${f.target} to ${target}; the host stays frozen`,
      ref: runId,
    });
    await deps.chat
      .postMessage({
        channel: f.channel,
        ...renderNotice(
          `⚠️ Upgrade run \`${runId}\` stopped: the control plane restarted while it upgraded *${f.target}* to OpenClaw ${target}. The agent switches by one rename, so ${f.target} runs its old version or ${target}, never half; \`/openclaw status ${f.target}\` says which. Later hosts were not touched. ${f.target} stays frozen until someone looks: \`/openclaw unfreeze ${f.target}\`.`,
        ),
      })
      .catch((err) => deps.logger.warn("interrupted upgrade notice not posted", { err: String(err) }));
    noted.push(f.target);
  }
  return noted;
}
