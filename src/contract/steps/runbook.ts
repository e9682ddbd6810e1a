import { z } from "zod";
import { defineStep, Supervisor, Timeout, TimeoutArgs } from "../step.ts";
import { DoctorLintData } from "./cli.ts";

/**
 * The recovery runbook's own steps (src/core/recovery): read what is in flight, one read and one
 * write through the gateway, and the two mutating steps.
 */

/** What is still running on a gateway, read from it over WS RPC (sessions.list, tasks.list, cron.list). */
export const GatewayInflightData = z.object({
  reachable: z.boolean(),
  error: z.string().optional(),
  sessions: z.object({ count: z.number() }).nullable(),
  tasks: z.object({ total: z.number(), active: z.number() }).nullable(),
  cron: z
    .object({
      jobs: z.number(),
      /** Enabled jobs whose next run falls within `dueWithinMs`. */
      dueSoon: z.array(z.object({ name: z.string(), nextRunAtMs: z.number() })),
    })
    .nullable(),
  /**
   * `/readyz` read beside the RPCs: 503 with `gateway-draining` among `failing` while a stop or
   * restart drains (OpenClaw 2026.9.6 server-start-*.mjs); the WebSocket is refused meanwhile,
   * so the RPCs above cannot say so. `status` null: it did not answer. Absent from agents before
   * issue 46.
   */
  readyz: z.object({ status: z.number().nullable(), failing: z.array(z.string()) }).optional(),
});
export type GatewayInflightData = z.infer<typeof GatewayInflightData>;

export const gatewayInflight = defineStep({
  name: "gateway.inflight",
  args: z
    .object({ timeoutMs: Timeout.optional(), dueWithinMs: z.number().int().min(0).max(86_400_000).optional() })
    .strict(),
  result: GatewayInflightData,
  // A handshake (auth penalty up to 5 s when refused) plus three small list RPCs.
  deadlineMs: 12_000,
});

const RpcCheck = z.object({ method: z.string(), ok: z.boolean(), ms: z.number(), error: z.string().optional() });
/** The runbook's acceptance test: one read-only call and one write call through the gateway. */
export const GatewayAcceptanceData = z.object({
  reachable: z.boolean(),
  error: z.string().optional(),
  read: RpcCheck.nullable(),
  write: RpcCheck.nullable(),
  /** Removing what the write created (a labelled scratch session). */
  cleanup: RpcCheck.nullable(),
  passed: z.boolean(),
});
export type GatewayAcceptanceData = z.infer<typeof GatewayAcceptanceData>;

export const gatewayAcceptance = defineStep({
  name: "gateway.acceptance",
  args: TimeoutArgs,
  result: GatewayAcceptanceData,
  // A handshake plus `status`, `sessions.create` and `sessions.delete`.
  deadlineMs: 15_000,
});

/** `approval`: the control plane's signed approval token (src/contract/approval.ts). */
const ApprovalArgs = z.object({ approval: z.string().min(20).max(4_000) }).strict();

/** An ordered restart: the old process has exited (and the port is free) before the new one starts. */
export const GatewayRestartData = z.object({
  performed: z.boolean(),
  /** Why the agent did not restart (approval, local policy, supervisor it cannot drive). */
  refused: z.string().optional(),
  supervisor: Supervisor,
  /** The unit, launchd label or container the restart went through. */
  unit: z.string().optional(),
  /** Declared in the host's policy.json, or detected from the process's cgroup. */
  supervisorSource: z.enum(["declared", "detected"]).optional(),
  oldPid: z.number().nullable(),
  newPid: z.number().nullable(),
  /** The relaunch command (manual process) or the supervisor's restart command; never secrets. */
  command: z.array(z.string()).optional(),
  exitedAfterMs: z.number().optional(),
  readyAfterMs: z.number().optional(),
  approver: z.string().optional(),
  error: z.string().optional(),
});
export type GatewayRestartData = z.infer<typeof GatewayRestartData>;

export const gatewayRestart = defineStep({
  name: "gateway.restart",
  args: ApprovalArgs,
  result: GatewayRestartData,
  // SIGTERM exits in 0.4–2.9 s, a cold start takes 12.9–17.9 s to ready (GATEWAY-FACTS §2); on a
  // loaded 2-core box twice that.
  deadlineMs: 90_000,
  mutating: true,
});

/** `openclaw doctor --repair --non-interactive`: what it changed, and what `doctor --lint` says after. */
export const DoctorFixData = z.object({
  performed: z.boolean(),
  refused: z.string().optional(),
  approver: z.string().optional(),
  command: z.array(z.string()).optional(),
  exitCode: z.number().nullable().optional(),
  timedOut: z.boolean().optional(),
  /** Lines of its "Doctor changes" boxes, redacted (e.g. "Tightened permissions on … to 700"). */
  changes: z.array(z.string()).optional(),
  /** "Updated config: <path>" / "Backup: <path>" when it rewrote the config. */
  configUpdated: z.object({ path: z.string(), backup: z.string().nullable() }).nullable().optional(),
  /** The config file's SHA-256 (first 12 hex) before and after, so a change is never silent. */
  configHashBefore: z.string().nullable().optional(),
  configHashAfter: z.string().nullable().optional(),
  /** `doctor --lint --json` after the repair. */
  lintAfter: DoctorLintData.optional(),
  /** The last lines of its output, redacted, when it failed. */
  outputTail: z.string().optional(),
  error: z.string().optional(),
});
export type DoctorFixData = z.infer<typeof DoctorFixData>;

/** `openclaw doctor --repair --non-interactive`, with the same kind of approval. */
export const doctorFix = defineStep({
  name: "doctor.fix",
  args: ApprovalArgs,
  result: DoctorFixData,
  // `doctor --repair` took 14 s on an idle lab (GATEWAY-FACTS §3: doctor 8–12 s, 76 s when it waits
  // for a gateway that is down), then `doctor --lint --json` again (8–10 s).
  deadlineMs: 120_000,
  mutating: true,
});
