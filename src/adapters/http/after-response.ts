import type { Context } from "hono";
import type { CommandReply } from "../../core/commands/types.ts";
import type { Logger } from "../../core/ports.ts";

/** Where work goes after the response: `executionCtx.waitUntil` on Workers, a detached promise on Node. */
export type RunInBackground = (
  task: Promise<void>,
  ctx: { executionCtx?: { waitUntil(p: Promise<unknown>): void } },
) => void;

/** Starts a command's slow half once its ack is on the way; its failure is logged, never thrown. */
export function afterResponse(run: RunInBackground, logger: Logger) {
  return (reply: Pick<CommandReply, "background">, c: Context): void => {
    if (!reply.background) return;
    const task = reply.background().catch((err) => logger.error("background task failed", { err: String(err) }));
    let executionCtx: { waitUntil(p: Promise<unknown>): void } | undefined;
    try {
      executionCtx = c.executionCtx as { waitUntil(p: Promise<unknown>): void };
    } catch {
      // hono throws when there is no execution context (Node); that is fine.
    }
    run(task, { executionCtx });
  };
}

export type AfterResponse = ReturnType<typeof afterResponse>;
