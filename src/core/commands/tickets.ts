import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { postmortemCommand } from "../tickets/draft.ts";
import { openTicket } from "../tickets/open.ts";
import { renewTicketLink } from "../tickets/renew.ts";

/** `ticket <incident> new|renew` and `postmortem <incident> [--ticket]`: the workflows in core/tickets/. */
export function ticketCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "ticket" | "postmortem" }>,
): Promise<CommandReply> {
  if (command.kind === "postmortem") return postmortemCommand(deps, req, command.id, command.ticket);
  if (command.action === "renew") return renewTicketLink(deps, req, command.id);
  return openTicket(deps, req, command.id, command.system);
}
