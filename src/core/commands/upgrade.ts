import { errorMessage } from "../../contract/errors.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError } from "../errors.ts";
import { describeSelector, selectHosts } from "../fleet/fleet.ts";
import { freezesCovering } from "../freezes/freezes.ts";
import { builtinKnownIssues } from "../known-issues/builtin.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { collectPreflight, PREFLIGHT_DEADLINE_MS } from "../upgrade/collect.ts";
import { buildUpgradePlan, SHARE_PERCENT } from "../upgrade/plan.ts";
import { knownReleases, resolveTarget } from "../upgrade/releases.ts";
import { renderUpgradePlan } from "../upgrade/render.ts";
import { startUpgradeRun } from "../upgrade/start.ts";
import { truncate } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";
import { hostFacts } from "./known-issues.ts";
import { parseFleetSelector } from "./words.ts";

/** `/openclaw upgrade <hosts> to <version> [--dry-run]`: the gateways' OpenClaw, planned and run (core/upgrade). */
export const upgrade = defineCommand({
  words: ["upgrade"],
  parse: parseUpgrade,
  help: [
    {
      usage: "/openclaw upgrade <host | tag:<tag> | all> to <version> [--wave N%] --dry-run",
      summary:
        "The plan for moving the gateways' OpenClaw to a release clawops knows: per host free disk, the target's Node requirement, official plugins to move in lockstep, freezes, the known issues it fixes; then the waves (a canary, N% of the rest (default 25%), the rest). Nothing is changed.",
    },
    {
      usage: "/openclaw upgrade <host | tag:<tag> | all> to <version> [--wave N%]",
      summary:
        "The upgrade itself, wave by wave and one host at a time: each host frozen, its switch approved in the run's thread (the press also approves switching back), the target installed beside the current one, `current` switched, the gateway restarted under its supervisor, then the acceptance and a triage compared with the one before. A failure rolls the host back and stops the run. Needs `gateway.switch` and `gatewayVersions.dir` in the host's policy.json.",
    },
  ],
  authorize: {
    inHandler: ["upgrade"],
    why: "the run only (upgrade/start.ts), after the target and the hosts are known; the dry run is open",
  },
  handle: upgradeCommand,
});

const GATEWAY_UPGRADE_USAGE =
  "Usage: `/openclaw upgrade <host|node-*|tag:…|all> to <version> [--wave N%] [--dry-run]`, e.g. `/openclaw upgrade tag:canary to 2026.9.6 --dry-run` (the plan), then without `--dry-run` (the run); `--wave 50%`: the canary, then 50% of the rest, then the rest (default 25%).";

/** `upgrade <selector> to <version> [--dry-run]`: the gateways' OpenClaw (issue 42, item 1). */
function parseUpgrade(args: string[]): Extract<Command, { kind: "upgrade" }> {
  let dryRun = false;
  let wavePercent: number | undefined;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--dry-run") dryRun = true;
    else if (a === "--wave" || a.startsWith("--wave=")) {
      const value = a === "--wave" ? args[++i] : a.slice("--wave=".length);
      const m = /^(\d{1,3})%?$/.exec(value ?? "");
      const n = m ? Number(m[1]) : Number.NaN;
      if (!(n >= 1 && n <= 100))
        throw new ClawopsError(
          "bad_request",
          `\`--wave ${truncate(value ?? "", 20)}\` is not a share from 1% to 100% (the second wave's share of the hosts after the canary). ${GATEWAY_UPGRADE_USAGE}`,
        );
      wavePercent = n;
    } else words.push(a);
  }
  const [selector, to, version, ...extra] = words;
  if (selector === undefined || to?.toLowerCase() !== "to" || version === undefined || extra.length > 0)
    throw new ClawopsError("bad_request", GATEWAY_UPGRADE_USAGE);
  return {
    kind: "upgrade",
    selector: parseFleetSelector([selector], GATEWAY_UPGRADE_USAGE),
    selectorText: truncate(selector, 60),
    version: truncate(version, 40),
    dryRun,
    ...(wavePercent !== undefined ? { wavePercent } : {}),
  };
}

/**
 * `upgrade <hosts> to <version> --dry-run` (issue 42, item 1, its first part): the target is
 * checked at once (a version clawops does not know is refused before anything is probed), then
 * one read-only job per host and the plan posted in the channel. Without `--dry-run`, the run
 * (upgrade/start.ts, upgrade/run.ts).
 */
async function upgradeCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "upgrade" }>,
): Promise<CommandReply> {
  const all = await deps.store.listHosts();
  const catalog = deps.knownIssues ?? builtinKnownIssues();
  const target = resolveTarget(
    command.version,
    knownReleases(
      catalog,
      all.filter((h) => h.revokedAt === null).map((h) => h.gatewayVersion ?? null),
    ),
  );
  const hosts = selectHosts(all, command.selector);
  if (hosts.length === 0)
    throw new ClawopsError("unknown_host", `No enrolled host matches: ${describeSelector(command.selector)}.`, {
      status: 404,
    });
  const wavePercent = command.wavePercent ?? SHARE_PERCENT;
  if (!command.dryRun)
    return startUpgradeRun(deps, req, { target, hosts, catalog, facts: (h) => hostFacts(deps, h), wavePercent });
  return {
    ack: renderNotice(
      `⬆️ Planning OpenClaw ${target.version} on ${hosts.length} host${hosts.length === 1 ? "" : "s"} (dry run: a read-only pre-flight, at most ${PREFLIGHT_DEADLINE_MS / 1000} s); the plan follows.`,
    ),
    later: async () => {
      const answers = await collectPreflight(deps, hosts);
      const now = deps.clock.now();
      const freezes = new Map(
        await Promise.all(
          hosts.map(async (h) => [h.name, await freezesCovering(deps.recovery.store, h.name, now)] as const),
        ),
      );
      const facts = await Promise.all(hosts.map((h) => hostFacts(deps, h)));
      const plan = buildUpgradePlan({
        target,
        hosts,
        answers,
        facts,
        freezes,
        actor: req.user,
        catalog,
        now,
        wavePercent,
      });
      try {
        await deps.chat.postMessage({ channel: req.channel, ...renderUpgradePlan(plan) });
      } catch (err) {
        await tellRequester(
          deps,
          req.responseUrl,
          renderNotice(`⚠️ The upgrade plan could not be posted in <#${req.channel}>.\n${errorMessage(err)}`),
          { request: req.requestKey },
        );
        throw err;
      }
    },
  };
}
