type Gc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * Gives back the memory a burst of work left behind (loading the bundle and the first probes at
 * startup; each job). V8 does this by itself, but only after about 8 s of quiet (its memory
 * reducer): until then the agent sits 5-10 MB higher. It needs Node's --expose-gc, which
 * AGENT_NODE_FLAGS (scripts/build-agent.ts) passes; without it this does nothing.
 */
export function releaseMemory(): void {
  (globalThis as { gc?: Gc }).gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
}
