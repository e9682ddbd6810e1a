import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { laterAfterAck } from "../../src/adapters/http/later.ts";
import { quietLogger } from "../support/harness.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const quiet = quietLogger;

/** A full collection once the current job is over (a WeakRef holds its target until then). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

describe("laterAfterAck: an interaction's later half, started once its ack is on the way", () => {
  // A burst of triages on one host queues jobs behind each other; each waiting job held its
  // whole request (hono Context, IncomingMessage, ServerResponse, body) until it finished.
  it("does not keep the request alive while the job waits", async () => {
    const tasks: Promise<void>[] = [];
    // The job queue holds the waiting job (here: its resolver) until its turn comes.
    const queue: (() => void)[] = [];
    const afterAck = laterAfterAck((task) => tasks.push(task), quiet);
    let request: object | null = { executionCtx: null, body: "x".repeat(10_000) };
    const ref = new WeakRef(request);
    afterAck({ later: () => new Promise<void>((resolve) => queue.push(resolve)) }, request as unknown as Context);
    request = null;
    await collect();
    expect(tasks).toHaveLength(1);
    expect(queue).toHaveLength(1);
    expect(ref.deref()).toBeUndefined();
    queue[0]?.();
    await tasks[0];
  });

  it("hands the runtime the request's execution context, and logs a task that fails", async () => {
    const errors: string[] = [];
    const waited: Promise<unknown>[] = [];
    const afterAck = laterAfterAck(
      (task, ctx) => {
        ctx.executionCtx?.waitUntil(task);
      },
      { ...quiet, error: (m, f) => errors.push(`${m}: ${String(f?.err)}`) },
    );
    const c = { executionCtx: { waitUntil: (p: Promise<unknown>) => waited.push(p) } } as unknown as Context;
    afterAck({ later: () => Promise.reject(new Error("agent gone")) }, c);
    expect(waited).toHaveLength(1);
    await waited[0];
    expect(errors).toEqual(["work after the ack failed: Error: agent gone"]);
  });

  it("does nothing for a command without a slow half", () => {
    const tasks: Promise<void>[] = [];
    laterAfterAck((task) => tasks.push(task), quiet)({}, {} as Context);
    expect(tasks).toEqual([]);
  });
});
