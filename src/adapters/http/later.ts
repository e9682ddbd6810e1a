import type { Context } from "hono";
import type { Logger } from "../../core/ports/basics.ts";
import type { Handled } from "../../core/router/handle.ts";

/** Where `later` work goes once the response is out: `executionCtx.waitUntil` on Workers, a detached promise on Node. */
export type RunLater = (task: Promise<void>, ctx: { executionCtx?: { waitUntil(p: Promise<unknown>): void } }) => void;

/** Starts an interaction's `later` half once its ack is on the way; its failure is logged, never thrown. */
export function laterAfterAck(run: RunLater, logger: Logger) {
  return (handled: Pick<Handled, "later">, c: Context): void => {
    if (!handled.later) return;
    run(startLater(handled.later, logger), executionContextOf(c));
  };
}

/**
 * The task, built where the request is out of scope: a closure shares its function's context
 * with every closure made beside it, so a `.catch` written next to `c` kept the whole request
 * (its Context, IncomingMessage, ServerResponse and body, ≈ 10 KB) alive until the job ended, and
 * a burst of commands was promoted to the old generation in long scavenges.
 */
function startLater(later: () => Promise<void>, logger: Logger): Promise<void> {
  return later().catch((err) => logger.error("work after the ack failed", { err: String(err) }));
}

/**
 * `executionCtx`, read only by a runtime that has one (Workers): on Node hono throws for it, and
 * building that error on every command was a measurable part of the ack.
 */
function executionContextOf(c: Context): { executionCtx?: { waitUntil(p: Promise<unknown>): void } } {
  return {
    get executionCtx() {
      try {
        return c.executionCtx as { waitUntil(p: Promise<unknown>): void };
      } catch {
        return undefined;
      }
    },
  };
}

export type LaterAfterAck = ReturnType<typeof laterAfterAck>;
