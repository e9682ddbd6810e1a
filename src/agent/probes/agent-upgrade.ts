import type { AgentUpgradeData } from "../../contract/catalog.ts";
import type { Upgrader } from "../upgrade/upgrader.ts";
import type { Probe } from "./probe.ts";

/**
 * `agent.upgrade`: only the agent's `run` can upgrade itself (it holds the hub connection the
 * trial takes over and has a supervisor to restart it); it registers its upgrader here at start.
 * `probe` and `oneshot` answer that they cannot.
 */
let upgrader: Upgrader | null = null;

export function registerUpgrader(u: Upgrader | null): void {
  upgrader = u;
}

export const probeAgentUpgrade: Probe<"agent.upgrade"> = async (ctx, args, run) => {
  if (!upgrader) {
    const refused: AgentUpgradeData = {
      accepted: false,
      from: ctx.agentVersion,
      to: args.version,
      reason: "only a running agent (`clawops-agent run`) upgrades itself, not a one-shot run",
    };
    return refused;
  }
  const u = upgrader;
  const data = await u.prepare(args, run.signal);
  // Tried once the job's answer is on its way: the trial takes over the hub connection.
  if (data.accepted) run.afterJob?.(() => setTimeout(() => void u.begin(), 1_000).unref());
  return data;
};
