type Gc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * How far resident memory may grow above where the last release left it before a watch probe
 * pays for another release. A last-resort collection costs the agent 40–60 ms of CPU (several
 * full mark-compacts, the service's Node running without its optimizing compilers): after every
 * quick probe that was about a third of the watch's CPU. Below this growth V8's own memory
 * reducer (after ~8 s of quiet, well inside the default 30 s interval) gives the rest back.
 */
export const RELEASE_GROWTH_BYTES = 2 * 1024 * 1024;

/** Resident memory right after the last release; 0 before the first. */
let afterLastRelease = 0;

/**
 * Gives back the memory a burst of work left behind (loading the bundle and the first probes at
 * startup; each job). V8 does this by itself, but only after about 8 s of quiet (its memory
 * reducer): until then the agent sits 5-10 MB higher. It needs Node's --expose-gc, which
 * AGENT_NODE_FLAGS (scripts/build-agent.ts) passes; without it this does nothing.
 */
export function releaseMemory(): boolean {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return false;
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  afterLastRelease = process.memoryUsage.rss();
  return true;
}

/**
 * releaseMemory, but only when resident memory grew by RELEASE_GROWTH_BYTES or more since the
 * last release (or none ran yet): for work that recurs (the watch's quick probe), where most
 * probes leave little behind. Returns whether it collected.
 */
export function releaseMemoryIfGrown(growthBytes = RELEASE_GROWTH_BYTES): boolean {
  if (afterLastRelease > 0 && process.memoryUsage.rss() - afterLastRelease < growthBytes) return false;
  return releaseMemory();
}
