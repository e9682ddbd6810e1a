import { z } from "zod";
import { defineStep } from "../step.ts";
import { GatewayRestartData } from "./runbook.ts";

/**
 * Issue 42's gateway upgrade on the agent: the target installed side by side in the versions
 * folder the host's policy.json names (`gatewayVersions.dir`), `current` swapped to it by a
 * rename (a crash leaves the old link or the new one, never half), and the gateway restarted under
 * its supervisor; a version that does not come up is switched straight back by the agent. A
 * rollback is the same step back to the version it came from, already installed.
 */

/** A calendar version as OpenClaw releases them (`2026.9.6`, `2026.9.6-1`, `2026.9.6-beta.1`); it names a folder, so nothing else. */
export const OpenclawVersion = z.string().regex(/^\d{4}\.\d{1,2}\.\d{1,2}(?:-(?:\d+|beta\.\d+))?$/);

export const GatewaySwitchData = z.object({
  performed: z.boolean(),
  /** Why nothing was changed (approval, local policy, no versions folder, a manual gateway). */
  refused: z.string().optional(),
  approver: z.string().optional(),
  /** The versions folder; `current` in it is the link the supervisor's unit runs. */
  dir: z.string().optional(),
  /** The version `current` pointed at before, and the one it points at now. */
  from: z.string().nullable().optional(),
  to: z.string().optional(),
  /** The side-by-side install: skipped when the folder already held the version. */
  install: z
    .object({
      ran: z.boolean(),
      ms: z.number().optional(),
      command: z.array(z.string()).optional(),
      /** The last lines npm printed, when it failed. */
      outputTail: z.string().optional(),
    })
    .optional(),
  /** Whether `current` was swapped (it is swapped back by the next switch, never here). */
  switched: z.boolean().optional(),
  restart: GatewayRestartData.optional(),
  /**
   * The version did not come up, so the agent put `current` back to `from` and restarted again
   * (the same approval: it covers leaving the gateway as it found it). Its restart's outcome.
   */
  reverted: z.object({ to: z.string(), restart: GatewayRestartData }).optional(),
  /**
   * A switch back whose version refused the state the newer one left: the state from before the
   * switch forward (its config and SQLite databases, taken then) was put back, and it started.
   */
  stateBackup: z.object({ takenAt: z.number(), databases: z.number(), config: z.boolean() }).optional(),
  /** `aside`: the files of the newer state renamed to `<file>.clawops-newer` beside where they were. */
  stateRestored: z
    .object({ takenAt: z.number(), databases: z.number(), config: z.boolean(), aside: z.number().optional() })
    .optional(),
  /**
   * Official plugins (`@openclaw/*` under the state's npm projects) moved in lockstep with the
   * core on a switch forward (`moved`), or put back as they were on a switch back (`putBack`).
   */
  plugins: z
    .object({
      moved: z.array(z.object({ name: z.string(), from: z.string().nullable(), to: z.string() })).max(128),
      putBack: z.boolean().optional(),
    })
    .optional(),
  error: z.string().optional(),
});
export type GatewaySwitchData = z.infer<typeof GatewaySwitchData>;

export const gatewaySwitch = defineStep({
  name: "gateway.switch",
  args: z
    .object({
      approval: z.string().min(20).max(4_000),
      version: OpenclawVersion,
      /** Install the version when the folder lacks it (an upgrade); false for a rollback, which must find it. */
      install: z.boolean(),
    })
    .strict(),
  result: GatewaySwitchData,
  // npm install of openclaw (~840 MB with its dependencies) took ~30 s on the lab box, minutes on a
  // slow link; then the restart's own 90 s.
  deadlineMs: 300_000,
  mutating: true,
});
