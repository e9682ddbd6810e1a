import { ClawopsError } from "../errors.ts";
import { truncate } from "../vocabulary/hosts.ts";
import { bundle } from "./bundle.ts";
import { enroll } from "./enroll.ts";
import { defineCommand, type HelpLine, type ParsedCommand, type RegisteredCommand } from "./entry.ts";
import { expiries } from "./expiries.ts";
import { fleetStatus } from "./fleet-status.ts";
import { helpMessage } from "./help-message.ts";
import { remove, revoke } from "./host-lifecycle.ts";
import { hosts, tag } from "./hosts.ts";
import { declare, incident, incidents, report } from "./incidents.ts";
import { knownIssues } from "./known-issues.ts";
import { auditLog, freeze, freezeStatus, recover, unfreeze } from "./recovery.ts";
import { snooze, snoozes } from "./snoozes.ts";
import { postmortem, ticket } from "./tickets.ts";
import { triage } from "./triage.ts";
import { upgrade } from "./upgrade.ts";
import { upgradeAgent } from "./upgrade-agent.ts";

/**
 * Every `/openclaw` command, in the order `help` lists them. A command is one entry (entry.ts:
 * its words, parser, help lines, authorization and handler), written beside its handler and
 * added here; what every command goes through (claim, audit, metrics, the store's batch) is
 * middleware.ts's list, applied by handle.ts.
 */
export const COMMANDS: readonly RegisteredCommand[] = [
  triage,
  hosts,
  enroll,
  bundle,
  fleetStatus,
  tag,
  upgradeAgent,
  incidents,
  incident,
  report,
  declare,
  snooze,
  snoozes,
  ticket,
  postmortem,
  knownIssues,
  upgrade,
  expiries,
  freeze,
  unfreeze,
  recover,
  freezeStatus,
  auditLog,
  revoke,
  remove,
  defineCommand({
    words: ["help"],
    parse: () => ({ kind: "help" }),
    help: [{ usage: "/openclaw help", summary: "Show this help." }],
    authorize: "open",
    handle: async () => ({ ack: helpMessage(COMMAND_HELP) }),
  }),
];

/** Every command with one line about it, in the order `help` shows them. */
export const COMMAND_HELP: readonly HelpLine[] = COMMANDS.flatMap((c) => c.help);

/**
 * `/openclaw <text>` as a command and the entry that runs it. The first word picks the entry
 * (case-insensitively; none is `help`); where two share a word, `accepts` decides. Throws a
 * ClawopsError with the usage, or `unknown_command`.
 */
export function parseCommandText(text: string): ParsedCommand {
  const [sub, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const word = (sub ?? "help").toLowerCase();
  const entry = COMMANDS.find((c) => c.words.includes(word) && (c.accepts?.(rest) ?? true));
  if (!entry) {
    throw new ClawopsError(
      "unknown_command",
      `Unknown command \`${truncate(sub ?? "", 40)}\`. Try \`/openclaw help\` for the list of commands.`,
    );
  }
  return entry.parse(rest);
}
