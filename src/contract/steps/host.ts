import { z } from "zod";
import { defineStep, NoArgs } from "../step.ts";
import { AgentUpgradeRecord } from "./agent.ts";

/** What is installed and where: versions, the gateway port's listeners, the config file, the tokens. */

export const VersionsData = z.object({
  agent: z.string(),
  /** `OpenClaw 2026.9.6 (eb377ac)` parsed to `2026.9.6`, or null when the CLI is absent/failed. */
  openclaw: z.string().nullable(),
  openclawRaw: z.string().optional(),
  openclawError: z.string().optional(),
  os: z.string(),
  node: z.string(),
  /** The agent's last upgrade in place (agents since issue 31, when there was one). */
  upgrade: AgentUpgradeRecord.optional(),
});
export type VersionsData = z.infer<typeof VersionsData>;

export const versions = defineStep({
  name: "versions",
  args: NoArgs,
  result: VersionsData,
  deadlineMs: 5_000,
});

export const ProcessInfo = z.object({
  pid: z.number().nullable(),
  command: z.string().nullable(),
  /** Command line with secrets redacted on the host. */
  commandLine: z.string().optional(),
  user: z.string().optional(),
  /**
   * False for a gateway that serves another config (its own port, config path or state dir):
   * an intentional second gateway on the host, not a stale copy of this one.
   */
  servesThisConfig: z.boolean().optional(),
  /** Kernel state letter: `T` stopped (SIGSTOP), `Z` zombie (exited, not reaped), `S`/`R` alive. */
  state: z.string().optional(),
  /**
   * False for a process titled `openclaw-gateway` that holds no gateway lock and no listening
   * socket: an `openclaw gateway probe|status|…` CLI command (the CLI titles itself after its
   * command) or a gateway still loading, not a second gateway serving anyone (issue 30).
   */
  serving: z.boolean().optional(),
});
export const PortListenersData = z.object({
  port: z.number(),
  method: z.string(),
  listeners: z.array(ProcessInfo.extend({ address: z.string() })),
  gatewayProcesses: z.array(ProcessInfo),
});
export type PortListenersData = z.infer<typeof PortListenersData>;

export const portListeners = defineStep({
  name: "port.listeners",
  args: NoArgs,
  result: PortListenersData,
  deadlineMs: 3_000,
});

export const ConfigData = z.object({
  path: z.string(),
  exists: z.boolean(),
  /** File mtime (ISO): a reload failure logged before it was about an older version of the file. */
  modifiedAt: z.string().optional(),
  parseError: z.string().optional(),
  mode: z.string().nullable(),
  bind: z.string().nullable(),
  port: z.number().nullable(),
  /** Where the effective port came from: config, env or default (18789). */
  portSource: z.enum(["config", "env", "default", "agent", "process"]),
  /** With portSource `process`: the pid of this config's running gateway whose socket gave the port. */
  portPid: z.number().optional(),
  /** The file's gateway.port when the running gateway serves another one: a change waiting for a restart. */
  pendingPort: z.number().optional(),
  authMode: z.string().nullable(),
  tokenConfigured: z.boolean(),
  workspace: z
    .object({
      path: z.string(),
      exists: z.boolean(),
      isDirectory: z.boolean(),
      error: z.string().optional(),
      /** Why a missing workspace cannot be created: the nearest existing parent and its errno. */
      blockedBy: z.object({ path: z.string(), code: z.string() }).optional(),
    })
    .nullable(),
  /**
   * Every model ref the file names (`agents.defaults.model` primary and fallbacks, per-agent
   * models, the `models` map), with where, at most 20. Absent from agents before issue 17.
   */
  modelRefs: z.array(z.object({ ref: z.string(), source: z.string() })).optional(),
});
export type ConfigData = z.infer<typeof ConfigData>;

export const config = defineStep({
  name: "config",
  args: NoArgs,
  result: ConfigData,
  deadlineMs: 2_000,
});

export const TokenSourceName = z.enum([
  "config",
  "service-env",
  "shell-env",
  "process-env",
  "process-argv",
  /** A `.env` file OpenClaw loads at start: `$OPENCLAW_STATE_DIR/.env` or the gateway's working directory. */
  "dotenv",
  /** The config's own `env` block (`env.OPENCLAW_GATEWAY_TOKEN` / `env.vars.…`). */
  "config-env",
]);
export type TokenSourceName = z.infer<typeof TokenSourceName>;
export const TokensData = z.object({
  sources: z.array(
    z.object({
      source: TokenSourceName,
      /** Where it was read (a file path, `pid 123`), never the value. */
      where: z.string(),
      present: z.boolean(),
      /** `sha256:` + 12 hex chars of the token, or null when absent. */
      fingerprint: z.string().nullable(),
    }),
  ),
  /** Distinct fingerprints among the present sources. */
  distinct: z.number(),
  /** Which fingerprint the running gateway accepted when probed, if it was tested. */
  accepted: z
    .object({
      tested: z.array(
        z.object({
          fingerprint: z.string(),
          result: z.enum(["accepted", "rejected", "error"]),
          detailCode: z.string().optional(),
        }),
      ),
      fingerprint: z.string().nullable(),
    })
    .optional(),
});
export type TokensData = z.infer<typeof TokensData>;

export const tokens = defineStep({
  name: "tokens",
  args: z.object({ verifyAgainstGateway: z.boolean().optional() }).strict(),
  result: TokensData,
  // Trying a second token costs another auth penalty; give it room.
  deadlineMs: 12_000,
});
