import {
  AGENT_PROTOCOL_VERSION,
  AgentCloseCode,
  AgentFrame,
  type HelloFrame,
  type HubFrame,
  type JobResultFrame,
  parseFrame,
} from "../../contract/agent-wire.ts";
import type { StepResult } from "../../contract/catalog.ts";
import { randomToken } from "../../contract/encoding.ts";
import type { JobOutcome, Store } from "../ports.ts";
import { type HelloVerdict, verifyAgentHello } from "./enrollment.ts";

/**
 * The hub side of the agent protocol, free of any socket API: the Node hub (ws) and the
 * Workers host Durable Object (hibernatable WebSockets) both feed frames in here and carry
 * out what comes back. Timers and sockets stay with the caller.
 */

export interface Challenge {
  nonce: string;
  frame: HubFrame;
}

export function newChallenge(now: number): Challenge {
  const nonce = randomToken(24);
  return { nonce, frame: { type: "challenge", protocol: AGENT_PROTOCOL_VERSION, nonce, ts: now } };
}

export function welcomeFrame(host: string, heartbeatMs: number): HubFrame {
  return { type: "welcome", host, heartbeatMs };
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
  store: Store,
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

interface Pending {
  host: string;
  results: StepResult[];
  onProgress: (r: StepResult) => void;
  resolve: (outcome: JobOutcome) => void;
  /** Cancels the caller's deadline timer. */
  cancel: () => void;
}

/**
 * Jobs sent to agents and not yet answered. Every job ends exactly once: result, deadline,
 * or its host's socket closing. Progress and results for jobs no longer here are ignored.
 */
export class PendingJobs {
  private readonly jobs = new Map<string, Pending>();

  add(jobId: string, entry: Omit<Pending, "results">): void {
    this.jobs.set(jobId, { ...entry, results: [] });
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Records a streamed step result; false if the job is not pending for this host. */
  progress(host: string, jobId: string, result: StepResult): boolean {
    const p = this.jobs.get(jobId);
    if (!p || p.host !== host) return false;
    p.results.push(result);
    p.onProgress(result);
    return true;
  }

  /** Ends a job with the agent's result; false if it was not pending for this host. */
  result(host: string, frame: JobResultFrame): boolean {
    const p = this.jobs.get(frame.jobId);
    if (!p || p.host !== host) return false;
    this.finish(frame.jobId, p, outcomeOf(frame));
    return true;
  }

  /** Ends a job whose deadline passed, with what streamed in. Returns how many results had arrived. */
  timeout(jobId: string): number | null {
    const p = this.jobs.get(jobId);
    if (!p) return null;
    this.finish(jobId, p, { status: "timeout", results: p.results });
    return p.results.length;
  }

  /** Fails every pending job of a host as `lost`: its socket is gone. */
  failHost(host: string, reason: string): number {
    let n = 0;
    for (const [id, p] of this.jobs) {
      if (p.host !== host) continue;
      this.finish(id, p, { status: "lost", reason, results: p.results });
      n++;
    }
    return n;
  }

  private finish(jobId: string, p: Pending, outcome: JobOutcome): void {
    p.cancel();
    this.jobs.delete(jobId);
    p.resolve(outcome);
  }
}

/** How a close code and reason read in a lost job's detail. */
export function disconnectReason(code: number, reason: string): string {
  return `agent disconnected (close ${code}${reason.length ? ` ${reason}` : ""})`;
}
