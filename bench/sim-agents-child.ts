import { type SimAgentSpec, SimAgents } from "../test/support/sim-agents.ts";

/**
 * One child process of simulated agents for the fleet benchmarks (forked with IPC).
 * Parent → child: {type:"start", url, agents, backoff?}, {type:"stats"}, {type:"stop"}.
 * Child → parent: {type:"stats", stats}; exits after `stop`.
 */
type Msg =
  | { type: "start"; url: string; agents: SimAgentSpec[]; backoff?: { baseMs: number; maxMs: number } }
  | { type: "stats" }
  | { type: "stop" };

let sims: SimAgents | null = null;
const reply = (m: unknown) => process.send?.(m);

process.on("message", (m: Msg) => {
  if (m.type === "start") {
    sims = new SimAgents(m.url, m.agents, m.backoff);
    sims.start();
    reply({ type: "started" });
  } else if (m.type === "stats") {
    reply({ type: "stats", stats: sims?.snapshot() ?? null });
  } else if (m.type === "stop") {
    void (sims?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  }
});
// The parent died: do not linger.
process.on("disconnect", () => process.exit(0));
