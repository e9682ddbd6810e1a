import { errorMessage } from "../../contract/errors.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { describeSelector, type FleetReport, probeFleet, selectHosts } from "../fleet/fleet.ts";
import { answersFromWatch, fleetReportFor } from "../fleet/from-watch.ts";
import { renderFleetStatus } from "../fleet/render.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { defineCommand } from "./entry.ts";
import { parseFleetSelector } from "./words.ts";

/**
 * `/openclaw status <selector> [--live]`: the fleet matrix. Bare `status` is the freeze list
 * (recovery.ts's `freezeStatus`), so this entry takes `status` only with words after it.
 */
export const fleetStatus = defineCommand({
  words: ["status"],
  accepts: (rest) => rest.length > 0,
  parse: (rest): Extract<Command, { kind: "fleet-status" }> =>
    rest.includes("--live")
      ? { kind: "fleet-status", selector: parseFleetSelector(rest.filter((a) => a !== "--live")), live: true }
      : { kind: "fleet-status", selector: parseFleetSelector(rest) },
  help: [
    {
      usage: "/openclaw status all | <pattern> | tag:<tag> [--live]",
      summary:
        "One fleet matrix (hosts × layers, worst first) from the agents' watch, each row with its age; `--live` quick-probes every matching host (e.g. `node-*`) now.",
    },
  ],
  authorize: "open",
  handle: fleetStatusCommand,
});

/** `status <selector>`: acknowledges at once; the fleet quick probe's matrix follows in the channel. */
async function fleetStatusCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "fleet-status" }>,
): Promise<CommandReply> {
  const what = describeSelector(command.selector);
  if (!command.live && answersFromWatch(deps)) {
    // From the stored watch state: no probe runs, the matrix is posted at once.
    const report = await fleetReportFor(deps, command);
    return {
      ack: renderNotice(`📋 Fleet status (${what}) from the watch follows; \`--live\` probes every host now.`),
      later: () => postFleetMatrix(deps, req, what, report),
    };
  }
  const count = selectHosts(await deps.store.listHosts(), command.selector).length;
  return {
    ack: renderNotice(`🔎 Quick-probing ${count} host${count === 1 ? "" : "s"} (${what}); the fleet matrix follows.`),
    later: async () => postFleetMatrix(deps, req, what, await probeFleet(deps, command.selector)),
  };
}

async function postFleetMatrix(deps: CoreDeps, req: CommandRequest, what: string, report: FleetReport): Promise<void> {
  try {
    await deps.chat.postMessage({ channel: req.channel, ...renderFleetStatus(report) });
  } catch (err) {
    const reason = errorMessage(err);
    await tellRequester(
      deps,
      req.responseUrl,
      renderNotice(`⚠️ The fleet matrix (${what}) could not be posted in <#${req.channel}>.\n${reason}`),
      { request: req.requestKey },
    );
    throw err;
  }
}
