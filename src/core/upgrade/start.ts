import { errorMessage } from "../../contract/errors.ts";
import { type Actor, authorize } from "../authz/authz.ts";
import { ClawopsError } from "../errors.ts";
import { freezesCovering } from "../freezes/freezes.ts";
import type { HostFacts } from "../known-issues/fleet.ts";
import type { KnownIssueCatalog } from "../known-issues/schema.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import { recoverRuns } from "../recover/runs.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { collectPreflight, PREFLIGHT_DEADLINE_MS } from "./collect.ts";
import { buildUpgradePlan } from "./plan.ts";
import type { Release } from "./releases.ts";
import { runUpgrade } from "./run.ts";

/**
 * `upgrade <hosts> to <version>` without `--dry-run`: refused at once when it cannot run (the
 * Workers runtime, no signing key, not allowed, a host frozen by someone else, a host already in
 * a recover or upgrade run); else the pre-flight, then the run (run.ts) in this process.
 */
export async function startUpgradeRun(
  deps: CoreDeps,
  req: CommandRequest,
  o: {
    target: Release;
    hosts: readonly HostRecord[];
    catalog: KnownIssueCatalog;
    facts: (h: HostRecord) => Promise<HostFacts>;
    /** The second wave's share after the canary (`--wave N%`). */
    wavePercent?: number;
  },
): Promise<CommandReply> {
  if (deps.recovery.runs || deps.recovery.runbookUnavailable)
    throw new ClawopsError(
      "not_implemented",
      `Upgrade runs need the Node control plane (the run waits minutes for approvals, installs and restarts in its process); this one can show the plan: \`--dry-run\`. Nothing was changed.`,
      { status: 501 },
    );
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  await authorize(deps.recovery.authz, actor, "upgrade");
  if (!deps.recovery.approvalKey)
    throw new ClawopsError(
      "not_configured",
      "The control plane has no approval signing key, so no switch can be approved. Nothing was changed.",
      { status: 503 },
    );
  const now = deps.clock.now();
  for (const h of o.hosts) {
    const other = (await freezesCovering(deps.recovery.store, h.name, now)).find((f) => f.owner !== req.user);
    if (other)
      throw new ClawopsError(
        "host_frozen",
        `${h.name} is frozen by ${other.owner} (${other.reason.slice(0, 120)}): only they can change it now. Nothing was changed; leave it out of the selector or ask them.`,
        { status: 409 },
      );
  }
  const runs = recoverRuns(deps);
  const runId = deps.ids.id("upg");
  const claimed: string[] = [];
  for (const h of o.hosts) {
    const running = await runs.claim(h.name, runId);
    if (running) {
      for (const c of claimed) await runs.release(c, runId);
      throw new ClawopsError(
        "recover_running",
        `${h.name} is already in run \`${running}\`; start the upgrade when it has ended. Nothing was changed.`,
        { status: 409 },
      );
    }
    claimed.push(h.name);
  }
  return {
    ack: renderNotice(
      `⬆️ Upgrade run \`${runId}\` to OpenClaw ${o.target.version} on ${o.hosts.length} host${o.hosts.length === 1 ? "" : "s"}: a read-only pre-flight (at most ${PREFLIGHT_DEADLINE_MS / 1000} s), then host by host, each switch approved in the run's thread.`,
    ),
    later: async () => {
      try {
        const answers = await collectPreflight(deps, o.hosts);
        const at = deps.clock.now();
        const freezes = new Map(
          await Promise.all(
            o.hosts.map(async (h) => [h.name, await freezesCovering(deps.recovery.store, h.name, at)] as const),
          ),
        );
        const facts = await Promise.all(o.hosts.map(o.facts));
        const plan = buildUpgradePlan({
          target: o.target,
          hosts: o.hosts,
          answers,
          facts,
          freezes,
          actor: req.user,
          catalog: o.catalog,
          now: at,
          ...(o.wavePercent !== undefined ? { wavePercent: o.wavePercent } : {}),
        });
        await runUpgrade(deps, { runId, actor, plan });
      } catch (err) {
        deps.logger.error("upgrade run ended by an error", { run: runId, err: String(err) });
        await deps.chat
          .postMessage({
            channel: req.channel,
            ...renderNotice(`⚠️ Upgrade run \`${runId}\` ended early: ${errorMessage(err)}. Check \`/openclaw audit\`.`),
          })
          .catch(() => undefined);
      } finally {
        for (const c of claimed) await runs.release(c, runId).catch(() => undefined);
      }
    },
  };
}
