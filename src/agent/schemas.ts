import { z } from "zod";
import { MUTATING_STEPS } from "../contract/approval.ts";
import { SupervisorDeclaration } from "./probes/host/supervisor.ts";

/**
 * The agent's own files and the gateway's frames it reads, as zod schemas: the one definition of
 * each, parsed with zod where they are read (the wire frames it shares with the control plane are
 * in src/contract).
 */

/** agent.json in the agent's folder: which control plane and host name (src/agent/identity.ts). */
export const AgentConfig = z.object({
  /** The control plane's address, http(s) (the agent connects to its ws(s) equivalent). */
  server: z.string().regex(/^https?:\/\/[^\s/?#]+\S*$/, "an http:// or https:// address"),
  host: z.string(),
  enrolledAt: z.string(),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/**
 * policy.json in the agent's state folder: the host's own say over mutating steps
 * (src/agent/policy.ts).
 */
export const AgentPolicy = z
  .object({
    allow: z.array(z.enum(MUTATING_STEPS)).default([]),
    supervisor: SupervisorDeclaration.optional(),
    /** Upgrades of the agent in place (`/openclaw upgrade-agent`): allowed unless this says "refuse". */
    upgrades: z.enum(["allow", "refuse"]).optional(),
    /**
     * Gateway upgrades (`gateway.switch`, also in `allow`): the folder holding one folder per
     * OpenClaw version and `current`, the link the supervisor's unit runs
     * (`<dir>/current/node_modules/.bin/openclaw gateway run`). Absolute.
     */
    gatewayVersions: z
      .object({ dir: z.string().startsWith("/", "an absolute path") })
      .strict()
      .optional(),
  })
  .strict();
export type AgentPolicy = z.infer<typeof AgentPolicy>;

/** approval-pin.json: the control plane's approval key, pinned at enrollment (src/agent/policy.ts). */
export const ApprovalPin = z.object({ publicKey: z.string().min(40).max(50) });
export type ApprovalPin = z.infer<typeof ApprovalPin>;

/**
 * used-approvals.json: nonces of approvals already honoured, each with its expiry, and the latest
 * wall-clock time an approval was checked at (src/agent/used-approvals.ts; absent in files from
 * before it was kept).
 */
export const UsedApprovalsFile = z.object({
  v: z.literal(1),
  used: z.record(z.string().max(128), z.number()),
  clockSeen: z.number().optional(),
});
export type UsedApprovalsFile = z.infer<typeof UsedApprovalsFile>;

// The gateway's WebSocket frames, as far as the agent reads them (src/agent/probes/gateway-ws-client.ts).

export const ErrorShape = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  details: z.object({ code: z.string().optional(), missingScope: z.string().optional() }).optional(),
  /** How long an AUTH_RATE_LIMITED lockout has left, ms (OpenClaw 2026.9.6 message-handler-*.mjs). */
  retryAfterMs: z.number().optional(),
});
export const ResFrame = z.object({
  type: z.literal("res"),
  id: z.string(),
  ok: z.boolean(),
  payload: z.unknown().optional(),
  error: ErrorShape.optional(),
});
export const EventFrame = z.object({ type: z.literal("event"), event: z.string(), payload: z.unknown().optional() });
export const GatewayFrame = z.discriminatedUnion("type", [ResFrame, EventFrame]);
export type GatewayFrame = z.infer<typeof GatewayFrame>;
export type ResFrame = z.infer<typeof ResFrame>;
export type ErrorShape = z.infer<typeof ErrorShape>;

export const HelloOk = z.object({
  type: z.literal("hello-ok"),
  protocol: z.number().optional(),
  server: z.object({ version: z.string().optional() }).optional(),
  snapshot: z.object({ uptimeMs: z.number().optional(), appliedConfigHash: z.string().optional() }).optional(),
  auth: z
    .object({ method: z.string().optional(), role: z.string().optional(), scopes: z.array(z.string()).optional() })
    .optional(),
});
export type HelloOk = z.infer<typeof HelloOk>;
