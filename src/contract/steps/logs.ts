import { z } from "zod";
import { defineStep, NoArgs, Supervisor } from "../step.ts";
import { FIELD_LOG_SIGNATURE_KINDS, LogAttribution } from "./field.ts";
import { HOST_STATE_LOG_KINDS } from "./host-state.ts";
import { RUNTIME_LOG_SIGNATURE_KINDS } from "./runtime-logs.ts";

/** What the gateway wrote: signature lines of its log file, and of its service manager's journal. */

export const LOG_SIGNATURE_KINDS = [
  "ws-unauthorized",
  "reload-failed",
  "reload-applied",
  "auth-reloaded",
  "gateway-ready",
  "closed-before-connect",
  "origin-not-allowed",
  "handshake-timeout",
  "parse-error",
  "port-in-use",
  "refusing-to-bind",
  "start-blocked",
  "start-failed",
  "anthropic-429-long-context",
  "cron-disabled",
  "cron-tick-failed",
  "heartbeat-skipped",
  "chrome-cdp-failed",
  "remote-cdp-unreachable",
  "browser-command-unknown",
  "workspace-vanished",
  ...HOST_STATE_LOG_KINDS,
  ...FIELD_LOG_SIGNATURE_KINDS,
  ...RUNTIME_LOG_SIGNATURE_KINDS,
] as const;
export const LogSignatureKind = z.enum(LOG_SIGNATURE_KINDS);
export type LogSignatureKind = z.infer<typeof LogSignatureKind>;

export const LogSignature = z.object({
  /** A kind this agent knows; an older control plane still reads `count`/`examples` of a newer one. */
  kind: z.string(),
  count: z.number(),
  /** Oldest timestamp of a line of this kind in what was read (ISO): with `lastAt` and `count`, a cadence. */
  firstAt: z.string().optional(),
  /** Newest timestamp of a line of this kind (ISO), when the line had one. */
  lastAt: z.string().optional(),
  /** `reason=` / `code=` values and how often each was seen. */
  reasons: z.record(z.string(), z.number()).optional(),
  /** The newest ≤5 lines of this kind, redacted and cut to a readable length. */
  examples: z.array(z.string()),
});
export type LogSignature = z.infer<typeof LogSignature>;

export const LogSignaturesData = z.object({
  found: z.boolean(),
  /** The file read, or null when none of the candidates existed. */
  path: z.string().nullable(),
  tried: z.array(z.string()),
  bytesRead: z.number(),
  linesScanned: z.number(),
  /** Lines that were neither JSON nor text we could read (binary, cut in half). */
  linesSkipped: z.number(),
  newestAt: z.string().optional(),
  signatures: z.array(LogSignature),
  error: z.string().optional(),
  /**
   * Candidates that exist but could not be read, with the errno (`EISDIR`: `logging.file` names a
   * directory; `EACCES`: the agent's user may not read it). Absent from agents before issue 46,
   * which said this only in `error`.
   */
  unreadable: z.array(z.object({ path: z.string(), code: z.string() })).optional(),
  /**
   * When the files read were last written (the newest mtime, ISO) and when the agent read them:
   * a file the running gateway has not touched since it started is not its log now (issue 46).
   */
  modifiedAt: z.string().optional(),
  readAt: z.string().optional(),
  /** Whose log this is (agents since issue 30): another gateway's log is not judged. */
  attribution: LogAttribution.optional(),
});
export type LogSignaturesData = z.infer<typeof LogSignaturesData>;

export const logsSignatures = defineStep({
  name: "logs.signatures",
  args: z.object({ maxBytes: z.number().int().min(1_024).max(4_194_304).optional() }).strict(),
  result: LogSignaturesData,
  // A file read of at most a few hundred KB.
  deadlineMs: 3_000,
});

/**
 * What the service manager says about the gateway: its unit (systemd), job (launchd) or container
 * state, restart count and last exit, and the signature lines of its journal / container log.
 */
export const ServiceStateData = z.object({
  supervisor: Supervisor,
  /** declared in policy.json, detected from the listening process's cgroup, or the one unit file found. */
  source: z.enum(["declared", "detected", "unit-file", "none"]),
  unit: z.string().optional(),
  /** The pid listening on the gateway port, if any. */
  listenerPid: z.number().nullable(),
  state: z
    .object({
      /** systemd ActiveState / launchd state / container Status, as the manager spells it. */
      active: z.string(),
      sub: z.string().nullable(),
      restarts: z.number().nullable(),
      mainPid: z.number().nullable(),
      /** The main process's last exit: code (78 config refusal, 1 port taken) or signal (SIGKILL = 137). */
      lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable() }).nullable(),
      /** systemd Result (`exit-code`, `signal`, `oom-kill`, `success`); Docker: `oom-killed` when OOMKilled. */
      result: z.string().nullable(),
    })
    .nullable(),
  /** The command whose output gave `state`, as argv joined (no secrets). */
  command: z.string().optional(),
  error: z.string().optional(),
  journal: z
    .object({
      command: z.string(),
      linesScanned: z.number(),
      signatures: z.array(LogSignature),
      error: z.string().optional(),
    })
    .nullable(),
});
export type ServiceStateData = z.infer<typeof ServiceStateData>;

export const serviceState = defineStep({
  name: "service.state",
  args: NoArgs,
  result: ServiceStateData,
  // `systemctl show` and `journalctl -n 300` (or `docker inspect` + `docker logs --tail`): well under a second each.
  deadlineMs: 6_000,
});
