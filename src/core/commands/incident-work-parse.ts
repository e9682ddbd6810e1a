import { ClawopsError } from "../errors.ts";
import type { IncidentRole } from "../ports/incident-book.ts";
import type { Command, UserRef } from "../requests/command.ts";
import { truncate } from "../vocabulary/hosts.ts";

/**
 * The incident as the team's workspace (issue 41, items 1 and 5): `incident <id> role …`,
 * `incident <id> action …`, `incident <id> actions`. incident-parse.ts hands these verbs here.
 */

export const ROLE_USAGE =
  "Usage: `/openclaw incident <id> role <commander|comms|scribe> <@user|me>`, e.g. `/openclaw incident inc_abc123 role scribe @alice` (a mention, which Slack sends as `<@U…>`).";
export const ACTION_USAGE =
  "Usage: `/openclaw incident <id> action <text…> [@owner]` records a follow-up action, `/openclaw incident <id> actions` lists them, `/openclaw incident <id> action <n> done` closes one.";

/** What these verbs parse to. */
type WorkCommand = Extract<Command, { kind: "incident"; action: "role" | "action" | "actions" | "action-done" }>;

/** The words a role can be named by. */
const ROLE_NAMES: Record<string, IncidentRole> = {
  commander: "commander",
  ic: "commander",
  comms: "comms",
  communications: "comms",
  scribe: "scribe",
};

/** An action's text: one line, at most this long (Slack's section holds ten such lines with room). */
const ACTION_TEXT_MAX = 300;

/** `role <role> <user>`, `action …`, `actions` after `incident <id>`; null for any other verb. */
export function parseIncidentWork(id: string, verb: string, args: readonly string[]): WorkCommand | null {
  if (verb === "role") return parseRole(id, args);
  if (verb === "actions") {
    if (args.length > 0) throw new ClawopsError("bad_request", ACTION_USAGE);
    return { kind: "incident", id, action: "actions" };
  }
  if (verb === "action") return parseAction(id, args);
  return null;
}

function parseRole(id: string, args: readonly string[]): WorkCommand {
  const [name, ...who] = args;
  if (!name || who.length === 0) throw new ClawopsError("bad_request", ROLE_USAGE);
  const role = ROLE_NAMES[name.toLowerCase()];
  if (!role) {
    throw new ClawopsError(
      "bad_request",
      `\`${truncate(name, 40)}\` is not an incident role: the roles are commander, comms and scribe. ${ROLE_USAGE}`,
    );
  }
  return { kind: "incident", id, action: "role", role, user: parseUser(who.join(" "), ROLE_USAGE) };
}

function parseAction(id: string, args: readonly string[]): WorkCommand {
  if (args.length === 2 && /^#?\d{1,6}$/.test(args[0] ?? "") && args[1]?.toLowerCase() === "done") {
    return { kind: "incident", id, action: "action-done", n: Number((args[0] ?? "").replace("#", "")) };
  }
  const whole = args.join(" ").trim();
  // The owner is a mention at the end; an `@name` Slack did not turn into one is refused below.
  const owned = /^(.*?)\s+(<@[^>]*>|@\S+)$/s.exec(whole);
  const text = (owned ? owned[1] : whole)?.trim() ?? "";
  if (!text) throw new ClawopsError("bad_request", ACTION_USAGE);
  if (text.length > ACTION_TEXT_MAX) {
    throw new ClawopsError(
      "bad_request",
      `A follow-up action is at most ${ACTION_TEXT_MAX} characters (this one has ${text.length}); put the detail in a ticket and name it here.`,
    );
  }
  return { kind: "incident", id, action: "action", text, owner: owned?.[2] ? parseUser(owned[2], ACTION_USAGE) : null };
}

/**
 * A person as a command names them: `me`, or a mention as Slack escapes it (`<@U0123ABC>` or
 * `<@U0123ABC|alice>`; the app's slash command has "Escape channels, users, and links" on, so a
 * mention picked in Slack arrives so) or as Discord sends one (`<@123…>`, kept as
 * `discord:<id>`). A bare `@alice` names nobody clawops can check: a clear error.
 */
export function parseUser(token: string, usage: string): UserRef {
  const t = token.trim();
  if (t.toLowerCase() === "me") return { kind: "me" };
  const slack = /^<@([UW][A-Z0-9]{2,20})(?:\|[^>]{0,80})?>$/.exec(t);
  if (slack?.[1]) return { kind: "user", id: slack[1] };
  const discord = /^<@!?(\d{5,25})>$/.exec(t);
  if (discord?.[1]) return { kind: "user", id: `discord:${discord[1]}` };
  throw new ClawopsError(
    "unknown_user",
    `\`${truncate(t, 40)}\` is not a user clawops can name: mention them (pick them from Slack's list, so Slack sends their id as \`<@U…>\`) or say \`me\`. Nothing was changed. ${usage}`,
  );
}
