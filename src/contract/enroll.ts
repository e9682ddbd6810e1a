import { z } from "zod";

/**
 * `POST /api/enroll`, both sides of it: the agent sends its one-time code and public key
 * (src/agent/enroll.ts), the control plane checks the body with the same schema
 * (src/adapters/http/enroll-routes.ts) and answers with the host's name and the key approvals
 * are signed with, which the agent pins.
 */
export const EnrollRequest = z.object({
  code: z.string().min(4).max(64),
  host: z.string().min(1).max(100),
  publicKey: z.string().max(100),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollAnswer = z.object({
  ok: z.literal(true),
  host: z.string().min(1).max(63),
  /** The control plane's approval public key (base64url Ed25519), or null when it signs no approvals. */
  approvalKey: z.string().min(40).max(50).nullable(),
});
export type EnrollAnswer = z.infer<typeof EnrollAnswer>;

/** How the control plane answers a refused request (src/adapters/http/app.ts). */
export const ErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
