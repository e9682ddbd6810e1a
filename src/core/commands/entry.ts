import type { MutatingAction } from "../authz/authz.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";

/**
 * What one `/openclaw` command declares, in one place (bolt-js's listener registration is the
 * model): the words that start it, its parser, its lines in `help`, who may run it, and its
 * handler. registry.ts lists the entries; each lives beside its handler. The steps every command
 * shares (claim, audit, metrics, the store's batch) are not here: they are middleware.ts's list.
 */

/** One line of `/openclaw help`: the form, then what it does. */
export interface HelpLine {
  usage: string;
  summary: string;
}

/**
 * Who may run a command (core/authz). `open`: everyone (read-only, or open like a note).
 * `before`: one action, checked by the registry's authorize step before the handler runs;
 * `exceptConsole` leaves the local console's operator unchecked. `inHandler`: the actions the
 * handler (or the workflow it shares with a button) checks itself, after what `why` says: the
 * order decides which refusal a person sees, so it stays where it is.
 */
export type CommandAuthorization =
  | "open"
  | { before: MutatingAction; exceptConsole?: true }
  | { inHandler: readonly MutatingAction[]; why: string };

export interface CommandEntry<C extends Command> {
  /** The first word that starts it (any of these: an alias is one more), lower case; matched case-insensitively. */
  words: readonly string[];
  /**
   * When two entries share a word (`status`, `incident`), which one the rest of the words are
   * for. Absent: every rest is this entry's (its parser refuses what does not fit).
   */
  accepts?: (rest: readonly string[]) => boolean;
  /** The words after the first, as the command; throws a ClawopsError with the usage when they do not fit. */
  parse: (rest: string[]) => C;
  /** Its lines in `help`, in the order shown; `help` lists the entries in registry order. */
  help: readonly HelpLine[];
  authorize: CommandAuthorization;
  /** Fast by construction: validation and store writes, slow work in the reply's `later`. */
  handle: (deps: CoreDeps, req: CommandRequest, command: C) => Promise<CommandReply>;
}

/** A command parsed, with the entry that parsed it and its handler bound to it. */
export interface ParsedCommand {
  command: Command;
  entry: RegisteredCommand;
  run: (deps: CoreDeps, req: CommandRequest) => Promise<CommandReply>;
}

/** An entry as the registry holds it: its command type folded into `parse`'s bound `run`. */
export interface RegisteredCommand {
  words: readonly string[];
  accepts?: (rest: readonly string[]) => boolean;
  help: readonly HelpLine[];
  authorize: CommandAuthorization;
  parse: (rest: string[]) => ParsedCommand;
}

/** Registers a command: its parser's output is what its handler gets, checked by the compiler. */
export function defineCommand<C extends Command>(entry: CommandEntry<C>): RegisteredCommand {
  const registered: RegisteredCommand = {
    words: entry.words,
    help: entry.help,
    authorize: entry.authorize,
    ...(entry.accepts ? { accepts: entry.accepts } : {}),
    parse: (rest) => {
      const command = entry.parse(rest);
      return { command, entry: registered, run: (deps, req) => entry.handle(deps, req, command) };
    },
  };
  return registered;
}
