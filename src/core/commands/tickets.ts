import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { postmortemCommand } from "../tickets/draft.ts";
import { openTicket } from "../tickets/open.ts";
import { renewTicketLink } from "../tickets/renew.ts";
import { defineCommand } from "./entry.ts";
import { parseTicketCommand } from "./ticket-parse.ts";

/** `/openclaw ticket <incident> new|renew`: the incident in the team's tracker (issue 29, item 6). */
export const ticket = defineCommand({
  words: ["ticket"],
  parse: (rest) => parseTicketCommand("ticket", rest),
  help: [
    {
      usage: "/openclaw ticket <incident> new [jira|github]",
      summary:
        "Open a ticket with the incident's summary, findings, timeline and bundle, or comment on the one already open for the same host and top finding (authorized); `ticket <incident> renew` keeps its bundle link longer.",
    },
  ],
  authorize: { inHandler: ["ticket"], why: "in core/tickets, which the incident header's buttons share" },
  handle: ticketCommand,
});

/** `/openclaw postmortem <incident> [--ticket]`: the draft (issue 29, item 8). */
export const postmortem = defineCommand({
  words: ["postmortem"],
  parse: (rest) => parseTicketCommand("postmortem", rest),
  help: [
    {
      usage: "/openclaw postmortem <incident> [--ticket]",
      summary:
        "A postmortem draft in Markdown, written from the record, posted to the incident's thread (`--ticket`: attached to its ticket too).",
    },
  ],
  authorize: { inHandler: ["ticket"], why: "with `--ticket` only, in core/tickets/draft.ts" },
  handle: ticketCommand,
});

/** `ticket <incident> new|renew` and `postmortem <incident> [--ticket]`: the workflows in core/tickets/. */
function ticketCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "ticket" | "postmortem" }>,
): Promise<CommandReply> {
  if (command.kind === "postmortem") return postmortemCommand(deps, req, command.id, command.ticket);
  if (command.action === "renew") return renewTicketLink(deps, req, command.id);
  return openTicket(deps, req, command.id, command.system);
}
