import { afterEach, describe, expect, it } from "vitest";
import { RELEASE_GROWTH_BYTES, releaseMemory, releaseMemoryIfGrown } from "../../src/agent/memory.ts";

type Holder = { gc?: unknown };
const holder = globalThis as Holder;
const original = holder.gc;

/** Node's gc() as --expose-gc gives it, counted (the real one would also collect this test's garbage). */
function countingGc() {
  const calls: unknown[] = [];
  holder.gc = (options: unknown) => calls.push(options);
  return calls;
}

describe("the agent's memory release", () => {
  afterEach(() => {
    holder.gc = original;
  });

  it("does nothing and says so without --expose-gc", () => {
    holder.gc = undefined;
    expect(releaseMemory()).toBe(false);
    expect(releaseMemoryIfGrown()).toBe(false);
  });

  it("collects after a probe only once resident memory grew by the threshold since the last release", () => {
    const calls = countingGc();
    expect(releaseMemory()).toBe(true);
    expect(calls).toEqual([{ type: "major", execution: "sync", flavor: "last-resort" }]);
    // Nothing grown since: the probe is not worth a full collection.
    expect(releaseMemoryIfGrown()).toBe(false);
    expect(calls).toHaveLength(1);
    // Resident memory grows by 4× the threshold (pages written, so resident): now it is.
    const held = Buffer.alloc(4 * RELEASE_GROWTH_BYTES, 1);
    expect(releaseMemoryIfGrown()).toBe(true);
    expect(calls).toHaveLength(2);
    // And the baseline moved with it: the next probe, with nothing new, skips again.
    expect(releaseMemoryIfGrown()).toBe(false);
    expect(calls).toHaveLength(2);
    expect(held.length).toBe(4 * RELEASE_GROWTH_BYTES);
  });
});
