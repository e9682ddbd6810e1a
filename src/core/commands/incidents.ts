import { authorize } from "../authz/authz.ts";
import { moveIncident, requireBook, requireIncident } from "../incidents/record.ts";
import { renderIncident, renderIncidentList } from "../incidents/render.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { resolvePagerDuty } from "../tickets/pagerduty.ts";

/** How many incidents `incidents` lists. */
const LIST_LIMIT = 25;

/** `incidents [open|all]`: the newest records, one line each. */
export async function incidentsCommand(
  deps: CoreDeps,
  command: Extract<Command, { kind: "incidents" }>,
): Promise<CommandReply> {
  const list = await requireBook(deps).listIncidents({ open: command.scope === "open", limit: LIST_LIMIT });
  return { ack: renderIncidentList(list, command.scope, deps.clock.now()) };
}

/**
 * `incident <id> [ack|resolve]`: shows one record with its timeline, or moves it. `ack` takes
 * ownership (anyone in the channel may); `resolve` is a mutating action, authorized first. The
 * command's own audit row (handle.ts) records who did it and whether it was refused.
 */
export async function incidentCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "incident" }>,
): Promise<CommandReply> {
  const book = requireBook(deps);
  if (command.action === "show") {
    const incident = await requireIncident(deps, command.id);
    const tickets = (await deps.store.incidentTickets?.(incident.id)) ?? [];
    return { ack: renderIncident(incident, await book.incidentTimeline(incident.id), tickets) };
  }
  // Unknown ids are refused before authorization, so the error says what is wrong.
  await requireIncident(deps, command.id);
  if (command.action === "resolve") {
    await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "resolve");
  }
  const moved = await moveIncident(deps, command.id, command.action === "ack" ? "acknowledged" : "resolved", req.user);
  // Issue 29, item 7: with CLAWOPS_PAGERDUTY_RESOLVE, the PagerDuty incident it came from is resolved too.
  const pagerduty =
    command.action === "resolve" && deps.pagerduty?.resolve
      ? { later: () => resolvePagerDuty(deps, moved, req.user) }
      : {};
  return {
    ...pagerduty,
    ack: renderNotice(
      command.action === "ack"
        ? `You own incident \`${moved.id}\` (${moved.hosts.join(", ")}) now.`
        : `Incident \`${moved.id}\` (${moved.hosts.join(", ")}) is resolved; a new failure opens a new incident.`,
    ),
  };
}
