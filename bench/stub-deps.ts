import type { Logger } from "../src/core/ports/basics.ts";
import type { CoreDeps } from "../src/core/ports/deps.ts";
import type { Store } from "../src/core/ports/store.ts";
import { memoryRecovery } from "../test/support/memory-recovery-store.ts";

/** A logger that writes nothing (a bench times the work, not its log lines). */
export const quietLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * CoreDeps around `store` for a bench that drives a core service (the watch, `status all` from
 * the watch) in process: the wall clock, counted ids, the quiet logger, no agent online (a
 * dispatched job is `lost`), a chat that accepts every post, jobs run inline in their host's
 * turn, bundles off.
 */
export function stubCoreDeps(store: Store): CoreDeps {
  let n = 0;
  return {
    store,
    clock: { now: () => Date.now() },
    ids: { id: (p: string) => `${p}_${++n}` },
    logger: quietLogger,
    transport: {
      isOnline: async () => false,
      dispatch: async () => ({ status: "lost", reason: "", results: [] }),
    },
    chat: { postMessage: async () => ({ ts: "1.0" }), updateMessage: async () => {} },
    jobs: { depth: () => 0, start: async () => {}, inTurn: async (_h, task) => task() },
    bundles: { on: false, why: "bench" },
    recovery: memoryRecovery(),
  };
}
