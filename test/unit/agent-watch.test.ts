import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AgentWatch, watchIntervalOverride } from "../../src/agent/watch.ts";
import type { AgentFrame } from "../../src/contract/agent-wire.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { gatewayDownData, healthyResults, toResults } from "../support/evidence.ts";
import { quietLogger } from "../support/harness.ts";

const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const HEALTHY = healthyResults().filter((r) => QUICK.has(r.step));
const DOWN = toResults(gatewayDownData()).filter((r) => QUICK.has(r.step));
const quiet = quietLogger;

/** An agent watch over a scripted gateway: each probe returns `next` (timings differ every time). */
function rig(opts: { overrideMs?: number } = {}) {
  const sent: AgentFrame[] = [];
  const state = { next: HEALTHY, busy: false, probes: 0 };
  const watch = new AgentWatch({
    runner: {
      run: async (): Promise<StepResult[]> => {
        state.probes++;
        return state.next.map((r) => ({ ...r, durationMs: r.durationMs + state.probes }));
      },
    },
    logger: quiet,
    send: (f) => {
      sent.push(f);
      return true;
    },
    busy: () => state.busy,
    ...opts,
  });
  return { sent, state, watch, types: () => sent.map((f) => f.type) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5); // no jitter: ticks exactly every interval
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the agent's watch", () => {
  it("sends a state when the results change, a digest to confirm it, then nothing until the digest period", async () => {
    const r = rig();
    r.watch.start({ intervalMs: 30_000, digestMs: 600_000 });
    await vi.advanceTimersByTimeAsync(2_500 + 30_000 * 3);
    expect(r.types()).toEqual(["watch.state", "watch.digest"]);
    expect(r.state.probes).toBe(4);
    r.state.next = DOWN;
    await vi.advanceTimersByTimeAsync(30_000 * 2);
    expect(r.types()).toEqual(["watch.state", "watch.digest", "watch.state", "watch.digest"]);
    const [, , down] = r.sent;
    expect(down?.type === "watch.state" && down.results.map((x) => x.step)).toEqual(DOWN.map((x) => x.step));
    // Quiet for the digest period: one digest with the same hash.
    await vi.advanceTimersByTimeAsync(600_000);
    expect(r.types().slice(4)).toEqual(["watch.digest"]);
    r.watch.stop();
  });

  it("skips a tick while a job runs, sends its state again on a new connection, and does not watch for a hub that sets no interval", async () => {
    const r = rig();
    r.state.busy = true;
    r.watch.start({ intervalMs: 30_000, digestMs: 600_000 });
    await vi.advanceTimersByTimeAsync(2_500 + 30_000);
    expect(r.state.probes).toBe(0);
    r.state.busy = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(r.types()).toEqual(["watch.state"]);
    r.watch.start({ intervalMs: 30_000, digestMs: 600_000 }); // reconnected
    await vi.advanceTimersByTimeAsync(2_500);
    expect(r.types()).toEqual(["watch.state", "watch.state"]);
    r.watch.start({}); // an older hub: no interval in its welcome
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.sent).toHaveLength(2);
  });

  it("CLAWOPS_WATCH_INTERVAL_S overrides the hub's interval, 0 turns it off, a bad value is refused", async () => {
    expect(watchIntervalOverride({})).toBeUndefined();
    expect(watchIntervalOverride({ CLAWOPS_WATCH_INTERVAL_S: "5" })).toBe(5_000);
    expect(() => watchIntervalOverride({ CLAWOPS_WATCH_INTERVAL_S: "often" })).toThrow(/not a number of seconds/);
    const off = rig({ overrideMs: 0 });
    off.watch.start({ intervalMs: 30_000, digestMs: 600_000 });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(off.state.probes).toBe(0);
    const fast = rig({ overrideMs: 5_000 });
    fast.watch.start({ intervalMs: 30_000, digestMs: 600_000 });
    await vi.advanceTimersByTimeAsync(2_500 + 5_000 * 4);
    expect(fast.state.probes).toBe(5);
    fast.watch.stop();
  });
});
