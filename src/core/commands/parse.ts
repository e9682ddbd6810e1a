import type { Command } from "../requests/command.ts";
import { parseCommandText } from "./registry.ts";

/**
 * `/openclaw <text>` as a command (the registry's parsers, registry.ts); throws a ClawopsError
 * with the usage. For callers that want the command alone (the console's fleet route, tests).
 */
export function parseCommand(text: string): Command {
  return parseCommandText(text).command;
}
