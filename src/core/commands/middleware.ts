import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { authorize } from "../authz/authz.ts";
import { isClawopsError } from "../errors.ts";
import { DEFAULT_COMMAND, renameCommand } from "../messages/command-name.ts";
import { renderError, renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import type { ParsedCommand } from "./entry.ts";

/**
 * The steps every command goes through, whatever it is (bolt-js's built-in middleware is the
 * model): each gets the context and `next`, the rest of the list and then the command's own
 * handler, and may act before it, after it, or instead of it. COMMAND_MIDDLEWARE is the order.
 */

export interface CommandContext {
  deps: CoreDeps;
  req: CommandRequest;
  /** Parsed once, before any step: the command with its entry, or why the text does not parse. */
  parsed: ParsedCommand | { error: unknown };
}

export type CommandMiddleware = (ctx: CommandContext, next: () => Promise<CommandReply>) => Promise<CommandReply>;

/** How long a request identity is remembered: twice Slack's five-minute signature window. */
const REQUEST_MEMORY_MS = 10 * 60_000;

/**
 * The claim, the job and the audit row join the commands answered in the same turn in one commit
 * (where the store batches writes), and the ack waits for that commit.
 */
export const storeBatch: CommandMiddleware = async ({ deps, req }, next) => {
  deps.store.beginBatch?.();
  const reply = await next();
  try {
    await deps.store.flushed?.();
  } catch (err) {
    // Rolled back: nothing of this request was kept, so sending it again will work.
    deps.logger.error("command not stored", { request: req.requestKey, err: errorMessage(err) });
    // Why, when the store said (a full data disk, a busy database: its words say what to do).
    if (isClawopsError(err))
      return { ack: renderError(err.message, err.code), error: { code: err.code, message: err.message } };
    const message = "clawops could not store this command, so it did nothing; the error was logged. Try again.";
    return { ack: renderError(message, "internal"), error: { code: "internal", message } };
  }
  return reply;
};

/**
 * A signed request can be replayed within Slack's five minutes, and Slack itself retries a slow
 * one: the same identity does its work (and writes its audit row) once.
 */
export const claimOnce: CommandMiddleware = async (ctx, next) => {
  const { deps, req } = ctx;
  const now = deps.clock.now();
  if (!(await deps.store.claim(req.requestKey, now, now + REQUEST_MEMORY_MS))) {
    deps.logger.info("request already handled", { request: req.requestKey, user: req.user });
    metricsOf(deps).count("commands_total", { command: kindOf(ctx), outcome: "duplicate" });
    return {
      ack: renderNotice("This request was received already (a retry or a replay of it); nothing was done again."),
    };
  }
  return next();
};

/** Every command, refused or not, goes to the append-only audit log. */
export const auditRow: CommandMiddleware = async (ctx, next) => {
  const reply = await next();
  const { deps, req, parsed } = ctx;
  await audit(deps, {
    at: deps.clock.now(),
    actor: req.user,
    source: req.source,
    action: "command",
    host: "command" in parsed ? commandHost(parsed.command) : null,
    outcome: outcomeOf(reply),
    detail: `${req.via === "button" ? "button: " : ""}${deps.commandName ?? DEFAULT_COMMAND} ${req.text.trim().slice(0, 300)}${reply.error ? ` → ${reply.error.code}: ${reply.error.message.slice(0, 300)}` : ""}`,
    ref: reply.jobId ?? null,
  });
  return reply;
};

/** `commands_total` by command and outcome, and a debug line. */
export const countOutcome: CommandMiddleware = async (ctx, next) => {
  const reply = await next();
  const { deps, req } = ctx;
  const command = kindOf(ctx);
  const outcome = outcomeOf(reply);
  metricsOf(deps).count("commands_total", { command, outcome });
  deps.logger.debug?.("command handled", { command, outcome, source: req.source, user: req.user });
  return reply;
};

/** Core writes `/openclaw`; a control plane with another name (CLAWOPS_COMMAND) says its own. */
export const commandNameInAck: CommandMiddleware = async ({ deps }, next) => {
  const reply = await next();
  reply.ack = renameCommand(reply.ack, deps.commandName);
  return reply;
};

/** Never throws: an error becomes a clear reply (a ClawopsError in its own words), and no job is created. */
export const errorsAsReplies: CommandMiddleware = async ({ deps, req }, next) => {
  try {
    return await next();
  } catch (err) {
    if (isClawopsError(err))
      return { ack: renderError(err.message, err.code), error: { code: err.code, message: err.message } };
    deps.logger.error("command failed", { text: req.text, err: errorMessage(err) });
    const message = "Something went wrong inside clawops; the error was logged. Try again.";
    return { ack: renderError(message, "internal"), error: { code: "internal", message } };
  }
};

/** The entry's `before` action (entry.ts), checked before its handler runs; a refusal is `forbidden`. */
export const authorizeEntry: CommandMiddleware = async ({ deps, req, parsed }, next) => {
  const rule = "entry" in parsed ? parsed.entry.authorize : "open";
  if (typeof rule === "object" && "before" in rule && !(rule.exceptConsole && req.source === "console")) {
    await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, rule.before);
  }
  return next();
};

/**
 * The order, outermost first. The batch wraps everything so the ack waits for one commit; the
 * claim comes before any work or audit row; the audit row and the metric see the reply as sent
 * (the command renamed, an error worded); authorization is the last step before the handler, so
 * a refusal is counted, audited and worded like any other.
 */
export const COMMAND_MIDDLEWARE: readonly CommandMiddleware[] = [
  storeBatch,
  claimOnce,
  auditRow,
  countOutcome,
  commandNameInAck,
  errorsAsReplies,
  authorizeEntry,
];

/** Runs the list, then the parsed command's handler (or throws why it did not parse). */
export function runCommand(
  ctx: CommandContext,
  middleware: readonly CommandMiddleware[] = COMMAND_MIDDLEWARE,
): Promise<CommandReply> {
  const step = async (i: number): Promise<CommandReply> => {
    const m = middleware[i];
    if (m) return m(ctx, () => step(i + 1));
    if ("error" in ctx.parsed) throw ctx.parsed.error;
    return ctx.parsed.run(ctx.deps, ctx.req);
  };
  return step(0);
}

/** The metrics label: the command's kind, or `invalid` when the text does not parse. */
function kindOf({ parsed }: CommandContext): string {
  return "command" in parsed ? parsed.command.kind : "invalid";
}

function outcomeOf(reply: CommandReply): "ok" | "refused" | "error" {
  return reply.error ? (reply.error.code === "internal" ? "error" : "refused") : "ok";
}

/** The host a command names, for the audit log's host column (null for fleet-wide ones). */
function commandHost(c: Command): string | null {
  if ("host" in c) return c.host;
  if ("target" in c) return c.target;
  return null;
}
