import { ClawopsError } from "../errors.ts";
import { upgradeAgentCommand } from "../fleet/upgrade.ts";
import type { Command } from "../requests/command.ts";
import { truncate } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";
import { parseFleetSelector } from "./words.ts";

/** `/openclaw upgrade-agent <selector> [--wave N%]`: the agents moved a wave at a time (core/fleet/upgrade.ts). */
export const upgradeAgent = defineCommand({
  words: ["upgrade-agent"],
  parse: parseUpgradeAgent,
  help: [
    {
      usage: "/openclaw upgrade-agent <host | tag:<tag> | all> [--wave N%]",
      summary:
        "Move the matching hosts' agents to the one this control plane serves, N% at a time: each checks its SHA-256, tries the new agent and keeps it only if it comes online and passes a probe (else rolls back); the first failure stops later waves.",
    },
  ],
  authorize: { before: "upgrade-agent" },
  handle: upgradeAgentCommand,
});

const UPGRADE_USAGE =
  "Usage: `/openclaw upgrade-agent <host|node-*|tag:…|all> [--wave N%]`, e.g. `/openclaw upgrade-agent tag:canary` or `/openclaw upgrade-agent all --wave 10%`.";

/** `upgrade-agent <selector> [--wave N%]`: N% of the hosts at a time (default all at once, 100%). */
function parseUpgradeAgent(args: string[]): Extract<Command, { kind: "upgrade-agent" }> {
  let wavePercent = 100;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--wave" || a.startsWith("--wave=")) {
      const value = a === "--wave" ? args[++i] : a.slice("--wave=".length);
      const m = /^(\d{1,3})%?$/.exec(value ?? "");
      const n = m ? Number(m[1]) : Number.NaN;
      if (!(n >= 1 && n <= 100)) {
        throw new ClawopsError(
          "bad_request",
          `\`--wave ${truncate(value ?? "", 20)}\` is not a share from 1% to 100%. ${UPGRADE_USAGE}`,
        );
      }
      wavePercent = n;
    } else rest.push(a);
  }
  return { kind: "upgrade-agent", selector: parseFleetSelector(rest, UPGRADE_USAGE), wavePercent };
}
