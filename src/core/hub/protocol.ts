import {
  AGENT_PROTOCOL_VERSION,
  AgentCloseCode,
  AgentFrame,
  type HelloFrame,
  type HubFrame,
  type JobResultFrame,
  parseFrame,
} from "../../contract/agent-wire.ts";
import { randomToken } from "../../contract/encoding.ts";
import type { Store } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";
import { type HelloVerdict, verifyAgentHello } from "./enrollment.ts";

/**
 * The hub's reading of the agent protocol, frame by frame: the challenge, the hello checks,
 * what a frame means. The state machine that uses them is `HubSession` (hub-session.ts).
 */

export interface Challenge {
  nonce: string;
  frame: HubFrame;
}

export function newChallenge(now: number): Challenge {
  const nonce = randomToken(24);
  return { nonce, frame: { type: "challenge", protocol: AGENT_PROTOCOL_VERSION, nonce, ts: now } };
}

export function welcomeFrame(
  host: string,
  heartbeatMs: number,
  watch?: { intervalMs: number; digestMs: number },
): HubFrame {
  return watch
    ? { type: "welcome", host, heartbeatMs, watchIntervalMs: watch.intervalMs, watchDigestMs: watch.digestMs }
    : { type: "welcome", host, heartbeatMs };
}

export type Refusal = { ok: false; closeCode: number; reason: string };

/**
 * Reads one frame of a connection still in its handshake: the only thing allowed is a hello
 * in our protocol version. The signature is checked by `verifyHello`.
 */
export function readHello(raw: string | ArrayBuffer): { ok: true; hello: HelloFrame } | Refusal {
  const parsed = parseAgentFrame(raw);
  if (!parsed.ok) return parsed;
  const frame = parsed.frame;
  if (frame.type !== "hello") return refuse(AgentCloseCode.policy, "expected hello first");
  if (frame.protocol !== AGENT_PROTOCOL_VERSION) {
    return refuse(AgentCloseCode.policy, `unsupported agent protocol ${frame.protocol}`);
  }
  return { ok: true, hello: frame };
}

/**
 * Checks a hello against the nonce this connection was issued and the enrolled key
 * (WebCrypto Ed25519). `expectedHost` pins the connection to one host when the transport
 * routed it by name before the handshake (the Workers host Durable Object).
 */
export async function verifyHello(
  store: Pick<Store, "getHost">,
  nonce: string,
  hello: HelloFrame,
  expectedHost?: string,
): Promise<HelloVerdict> {
  if (expectedHost !== undefined && hello.host !== expectedHost) {
    return refuse(AgentCloseCode.policy, `hello for host "${hello.host}" on a connection for "${expectedHost}"`);
  }
  return verifyAgentHello(store, nonce, hello);
}

/** Parses one agent frame: text JSON, one of the agent frame types. */
export function parseAgentFrame(raw: string | ArrayBuffer): { ok: true; frame: AgentFrame } | Refusal {
  if (typeof raw !== "string") return refuse(AgentCloseCode.policy, "binary frames are not part of the protocol");
  const parsed = parseFrame(AgentFrame, raw);
  if (!parsed.ok) return refuse(AgentCloseCode.policy, parsed.reason);
  return { ok: true, frame: parsed.frame };
}

/** Reads one frame of a welcomed connection. A second hello is a protocol error. */
export function readAgentFrame(raw: string | ArrayBuffer): { ok: true; frame: AgentFrame } | Refusal {
  const parsed = parseAgentFrame(raw);
  if (parsed.ok && parsed.frame.type === "hello") return refuse(AgentCloseCode.policy, "hello after welcome");
  return parsed;
}

/** The outcome a job.result frame stands for. */
export function outcomeOf(frame: JobResultFrame): JobOutcome {
  if (frame.status === "rejected") {
    return { status: "rejected", error: frame.error ?? { code: "rejected", message: "agent refused the job" } };
  }
  return { status: "done", results: frame.results };
}

/** Close reasons are limited to 123 bytes (RFC 6455 §5.5). */
export function closeReason(reason: string): string {
  return reason.slice(0, 120);
}

function refuse(closeCode: number, reason: string): Refusal {
  return { ok: false, closeCode, reason };
}

/** How a close code and reason read in a lost job's detail. */
export function disconnectReason(code: number, reason: string): string {
  return `agent disconnected (close ${code}${reason.length ? ` ${reason}` : ""})`;
}
