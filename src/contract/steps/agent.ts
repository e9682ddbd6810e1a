import { z } from "zod";
import { defineStep } from "../step.ts";

/**
 * The agent itself: its upgrade in place (issue 31). The control plane names the version and
 * SHA-256 of the agent it serves at `/agent/clawops-agent.mjs`; the agent downloads it from its
 * own control plane (never from an address a job names), checks both, and answers at once whether
 * it accepted. Accepted, it then tries the new file (started beside it, it must come online and
 * pass a probe) before it replaces its own and restarts under its supervisor; the outcome is in
 * the `versions` step's `upgrade` afterwards (host.ts).
 */

/** A version as agents report them (agent-wire.ts VERSION_PATTERN, not imported: no cycle). */
const Version = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}$/);

export const AgentUpgradeArgs = z
  .object({
    version: Version,
    /** Lowercase hex SHA-256 of the file the control plane serves. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export const AgentUpgradeData = z.object({
  /** False: nothing was changed on the host; `reason` says why. */
  accepted: z.boolean(),
  from: z.string(),
  to: z.string(),
  reason: z.string().optional(),
  /** What restarts the agent once the new one passed (systemd, launchd, install.sh). */
  supervisor: z.string().optional(),
});
export type AgentUpgradeData = z.infer<typeof AgentUpgradeData>;

export const agentUpgrade = defineStep({
  name: "agent.upgrade",
  args: AgentUpgradeArgs,
  result: AgentUpgradeData,
  // The download (about 1 MB from the control plane) and one `node <new file> --version`.
  deadlineMs: 60_000,
});

/** The last upgrade as the agent recorded it in its state folder (upgrade.json), for `versions`. */
export const AgentUpgradeRecord = z.object({
  /** trial: the new file is being tried; passed: it replaced the old and the agent restarted into it; rolled-back: it failed its trial, the old one kept running. */
  phase: z.enum(["trial", "passed", "rolled-back"]),
  from: z.string(),
  to: z.string(),
  at: z.number(),
  reason: z.string().optional(),
});
export type AgentUpgradeRecord = z.infer<typeof AgentUpgradeRecord>;
