import { ClawopsError } from "../errors.ts";
import { INCIDENT_ID } from "../messages/buttons.ts";
import type { Command } from "../requests/command.ts";
import { truncate } from "../vocabulary/hosts.ts";

const TICKET_USAGE =
  "Usage: `/openclaw ticket <incident> new [jira|github]` (opens a ticket, or comments on the one open for the same host and top finding) or `/openclaw ticket <incident> renew` (keeps its bundle link); `/openclaw incidents all` lists the ids.";
const POSTMORTEM_USAGE =
  "Usage: `/openclaw postmortem <incident> [--ticket]`, e.g. `/openclaw postmortem inc_abc123`; `--ticket` attaches the draft to the incident's ticket too.";

/** `ticket <incident> new [jira|github]`, `ticket <incident> renew`, `postmortem <incident> [--ticket]`. */
export function parseTicketCommand(
  sub: "ticket" | "postmortem",
  words: readonly string[],
): Extract<Command, { kind: "ticket" | "postmortem" }> {
  const [id, ...rest] = words;
  const usage = sub === "ticket" ? TICKET_USAGE : POSTMORTEM_USAGE;
  if (!id) throw new ClawopsError("bad_request", usage);
  if (!INCIDENT_ID.test(id)) {
    throw new ClawopsError(
      "bad_request",
      `\`${truncate(id, 40)}\` is not an incident id (like \`inc_abc123\`). ${usage}`,
    );
  }
  if (sub === "postmortem") {
    if (rest.length === 0) return { kind: "postmortem", id, ticket: false };
    if (rest.length === 1 && rest[0] === "--ticket") return { kind: "postmortem", id, ticket: true };
    throw new ClawopsError("bad_request", POSTMORTEM_USAGE);
  }
  const [action, system, ...extra] = rest.map((w) => w.toLowerCase());
  if (extra.length > 0) throw new ClawopsError("bad_request", TICKET_USAGE);
  if (action === "new" && (system === undefined || system === "jira" || system === "github")) {
    return { kind: "ticket", id, action: "new", system: system ?? null };
  }
  if (action === "renew" && system === undefined) return { kind: "ticket", id, action: "renew", system: null };
  throw new ClawopsError("bad_request", TICKET_USAGE);
}
