import { z } from "zod";
import { StepRequest, StepResult } from "./catalog.ts";
import { firstIssue } from "./issues.ts";

/**
 * Control plane ⇄ agent wire protocol. JSON text frames over WebSocket; every frame is a
 * member of one discriminated union per direction. The hub speaks first with a challenge;
 * the agent proves its identity with an Ed25519 signature over the challenge nonce.
 *
 *   hub   → challenge
 *   agent → hello (host, nonce, signature)
 *   hub   → welcome | close(4401/4403, reason)
 *   hub   → job.run*           agent → job.progress* → job.result   (no progress when job.run says progress: false)
 *   hub   → job.ack            (agent drops the result from its outbox; none for a progress: false job)
 *   agent → heartbeat          (every welcome.heartbeatMs)
 *   agent → watch.state        (the quick probe's results, when they changed; docs/watch.md)
 *   agent → watch.digest       (the last state's hash: the probe after a change, then every welcome.watchDigestMs)
 */
export const AGENT_PROTOCOL_VERSION = 1;

/** Close codes the hub uses. 4xxx is the application range of RFC 6455. */
export const AgentCloseCode = {
  /** Generic policy violation: malformed frame, wrong protocol version. */
  policy: 1008,
  /**
   * Unknown host or a signature that does not verify: one code and one reason for both, so a
   * stranger cannot tell an enrolled host name from an invented one (issue 15, item 9).
   */
  badSignature: 4401,
  /**
   * What hubs before issue 15 sent for an unknown host. No hub sends it now; agents still read
   * it as the same fatal auth failure (protocol v1 is unchanged).
   */
  unknownHost: 4404,
  /** Sent only to an agent whose signature verified with its enrolled, now revoked key. */
  revoked: 4403,
  replayedNonce: 4409,
  handshakeTimeout: 4408,
  /** Another connection for the same host took over. */
  replaced: 4000,
} as const;

const HostName = z.string().min(1).max(63);
const Nonce = z.string().min(16).max(128);
export const JobId = z.string().min(1).max(64);

/**
 * What a version an agent reports may look like (`0.1.0`, `2026.9.6`, `2026.9.6-beta.1+abc`):
 * anything else is not stored or shown, since versions reach Slack.
 */
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}$/;

export const ChallengeFrame = z.object({
  type: z.literal("challenge"),
  protocol: z.number().int(),
  nonce: Nonce,
  ts: z.number(),
});
export const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  host: HostName,
  heartbeatMs: z.number().int().positive(),
  /** How often to run the watch's quick probe; 0: do not watch. Absent (older hubs): the agent's default. */
  watchIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
  /** At most this long between two watch frames (a digest when nothing changed). */
  watchDigestMs: z.number().int().positive().max(86_400_000).optional(),
});
export const JobRunFrame = z.object({
  type: z.literal("job.run"),
  jobId: JobId,
  steps: z.array(StepRequest).min(1).max(32),
  /** Wall-clock budget for the whole job, ms. Each step also has its own deadline. */
  deadlineMs: z.number().int().positive().max(600_000),
  /**
   * `false`: a quick probe (`status all`), where nobody watches steps arrive and a late answer
   * is worth nothing: the agent sends no `job.progress`, only the `job.result` (so each step
   * result crosses the wire once), and keeps no copy of it for a re-send, so the hub sends no
   * `job.ack` for it. Absent or `true`: one `job.progress` per step, then the result, kept until
   * acked. An agent from before this field strips it and streams progress anyway; the hub knows
   * it by that progress and acks its result as before.
   */
  progress: z.boolean().optional(),
});
export const JobAckFrame = z.object({ type: z.literal("job.ack"), jobId: JobId });

export const HubFrame = z.discriminatedUnion("type", [ChallengeFrame, WelcomeFrame, JobRunFrame, JobAckFrame]);
export type HubFrame = z.infer<typeof HubFrame>;
export type JobRunFrame = z.infer<typeof JobRunFrame>;

export const HelloFrame = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  host: HostName,
  nonce: Nonce,
  /** base64url Ed25519 signature over `signedHelloPayload(host, nonce)`. */
  signature: z.string().min(16).max(256),
  agentVersion: z.string().max(64),
  gatewayVersion: z.string().max(64).nullable().optional(),
});
export const HeartbeatFrame = z.object({
  type: z.literal("heartbeat"),
  ts: z.number(),
  gatewayVersion: z.string().max(64).nullable().optional(),
});
export const JobProgressFrame = z.object({
  type: z.literal("job.progress"),
  jobId: JobId,
  result: StepResult,
});
export const JobResultFrame = z.object({
  type: z.literal("job.result"),
  jobId: JobId,
  /** `done`: every step reported (some may be error/timeout). `rejected`: the agent refused the job. */
  status: z.enum(["done", "rejected"]),
  results: z.array(StepResult),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** A content hash of the watch's comparable results (contract/watch.ts): hex, or any short token. */
const WatchHash = z.string().min(1).max(128);
/** The quick probe's results, sent when they differ from the last ones sent on this connection. */
export const WatchStateFrame = z.object({
  type: z.literal("watch.state"),
  /** The probe's number since the agent started (a restart starts again at 1). */
  seq: z.number().int().nonnegative(),
  /** When the probe ran (agent clock, ms). */
  at: z.number(),
  hash: WatchHash,
  results: z.array(StepResult).max(8),
});
/** Nothing changed: the last state still holds (the probe after a change, then every digest period). */
export const WatchDigestFrame = z.object({
  type: z.literal("watch.digest"),
  seq: z.number().int().nonnegative(),
  at: z.number(),
  hash: WatchHash,
});
export type WatchStateFrame = z.infer<typeof WatchStateFrame>;
export type WatchDigestFrame = z.infer<typeof WatchDigestFrame>;

export const AgentFrame = z.discriminatedUnion("type", [
  HelloFrame,
  HeartbeatFrame,
  JobProgressFrame,
  JobResultFrame,
  WatchStateFrame,
  WatchDigestFrame,
]);
export type AgentFrame = z.infer<typeof AgentFrame>;
export type HelloFrame = z.infer<typeof HelloFrame>;
export type JobResultFrame = z.infer<typeof JobResultFrame>;

/** What the agent signs. Domain-separated so the key signs nothing else by accident. */
export function signedHelloPayload(host: string, nonce: string): string {
  return `clawops-agent-hello/v${AGENT_PROTOCOL_VERSION}\n${host}\n${nonce}`;
}

/** Parse one text frame. Returns a readable reason instead of throwing on bad input. */
export function parseFrame<T>(
  schema: z.ZodType<T>,
  raw: string,
): { ok: true; frame: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "frame is not valid JSON" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const { where, message } = firstIssue(parsed.error.issues);
    return { ok: false, reason: `malformed frame${where}: ${message}` };
  }
  return { ok: true, frame: parsed.data };
}
