import type { CoreDeps } from "../ports/deps.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { runCommand } from "./middleware.ts";
import { parseCommandText } from "./registry.ts";

/**
 * Handles one `/openclaw …` invocation. Fast by construction: validation and one store
 * write, everything else in `later`. Never throws: errors become a clear ephemeral
 * reply, and no job is created. Parsed once (registry.ts): the reply, the metrics label and
 * the audit row's host all come from it; then middleware.ts's steps, then the entry's handler.
 */
export function handleCommand(deps: CoreDeps, req: CommandRequest): Promise<CommandReply> {
  return runCommand({ deps, req, parsed: parseOutcome(req.text) });
}

/** The command, or why it does not parse (a ClawopsError with its message for the reply). */
function parseOutcome(text: string): ReturnType<typeof parseCommandText> | { error: unknown } {
  try {
    return parseCommandText(text);
  } catch (error) {
    return { error };
  }
}
