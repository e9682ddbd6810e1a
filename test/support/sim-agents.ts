import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import WebSocket from "ws";
import { AGENT_PROTOCOL_VERSION, HubFrame, parseFrame, signedHelloPayload } from "../../src/contract/agent-wire.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { gatewayDownData, healthyData, toResults } from "./evidence.ts";

/**
 * Simulated agents: real `ws` clients with real Ed25519 identities speaking the real agent
 * wire protocol (challenge → signed hello → welcome; job.run → job.result). They answer
 * every job with canned step data for the steps asked, so many of them fit in one process.
 * Profiles: `healthy`, `down` (gateway not running), `silent` (connected, never answers),
 * `stall-once` (healthy, but leaves its first triage — a job with `doctor.lint` — unanswered:
 * a job in flight at a restart; quick probes are answered).
 */
export type SimProfile = "healthy" | "down" | "silent" | "stall-once";

export interface SimAgentSpec {
  host: string;
  /** PKCS#8 PEM of the agent's Ed25519 private key. */
  keyPem: string;
  profile: SimProfile;
  /**
   * Speaks as an agent from before `job.run`'s `progress` flag: streams one progress frame per
   * step whatever the job says (default: honours `progress: false` as src/agent/connection.ts does).
   */
  legacy?: boolean;
}

export interface SimIdentity {
  host: string;
  keyPem: string;
  /** Raw public key, base64url: what enrollment stores. */
  publicKey: string;
}

export function newSimIdentity(host: string): SimIdentity {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as { x: string };
  return { host, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: jwk.x };
}

const CANNED: Record<Exclude<SimProfile, "silent">, StepResult[]> = {
  healthy: toResults(healthyData()),
  "stall-once": toResults(healthyData()),
  down: toResults(gatewayDownData()),
};

export interface SimStats {
  agents: number;
  /** Agents past the handshake right now. */
  connected: number;
  /** Welcomes received in total (first connects + reconnects). */
  welcomes: number;
  jobsAnswered: number;
  jobsIgnored: number;
  /** `job.progress` frames sent in total. */
  progressSent: number;
}

interface Sim {
  spec: SimAgentSpec;
  key: KeyObject;
  ws: WebSocket | null;
  welcomed: boolean;
  attempt: number;
  stopped: boolean;
  triagesSeen: number;
}

/** A set of simulated agents in this process. Reconnects with full jitter when the hub drops them. */
export class SimAgents {
  private readonly sims: Sim[];
  private readonly stats: SimStats;
  private readonly url: string;
  private readonly backoff: { baseMs: number; maxMs: number };

  constructor(url: string, specs: readonly SimAgentSpec[], backoff = { baseMs: 500, maxMs: 5_000 }) {
    this.url = url;
    this.backoff = backoff;
    this.sims = specs.map((spec) => ({
      spec,
      key: createPrivateKey(spec.keyPem),
      ws: null,
      welcomed: false,
      attempt: 0,
      stopped: false,
      triagesSeen: 0,
    }));
    this.stats = { agents: specs.length, connected: 0, welcomes: 0, jobsAnswered: 0, jobsIgnored: 0, progressSent: 0 };
  }

  start(): void {
    for (const s of this.sims) this.connect(s);
  }

  snapshot(): SimStats {
    return { ...this.stats, connected: this.sims.filter((s) => s.welcomed).length };
  }

  /** Resolves once every agent is past the handshake (polls; callers bound it with their own deadline). */
  async whenAllConnected(pollMs = 50): Promise<void> {
    while (this.sims.some((s) => !s.welcomed)) await new Promise((r) => setTimeout(r, pollMs));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.sims.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.stopped = true;
            const ws = s.ws;
            if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once("close", () => resolve());
            ws.terminate();
          }),
      ),
    );
  }

  /** As the real agent (src/agent/connection.ts): `?host=` routes the socket on Workers; the Node hub ignores it. */
  private urlFor(s: Sim): string {
    const u = new URL(this.url);
    u.searchParams.set("host", s.spec.host);
    return u.toString();
  }

  private connect(s: Sim): void {
    if (s.stopped) return;
    const ws = new WebSocket(this.urlFor(s), { perMessageDeflate: false });
    s.ws = ws;
    ws.on("message", (data) => {
      const parsed = parseFrame(HubFrame, data.toString());
      if (!parsed.ok) return;
      const f = parsed.frame;
      if (f.type === "challenge") {
        const signature = toBase64Url(sign(null, Buffer.from(signedHelloPayload(s.spec.host, f.nonce)), s.key));
        ws.send(
          JSON.stringify({
            type: "hello",
            protocol: AGENT_PROTOCOL_VERSION,
            host: s.spec.host,
            nonce: f.nonce,
            signature,
            agentVersion: "sim-0",
            gatewayVersion: "2026.9.6",
          }),
        );
      } else if (f.type === "welcome") {
        s.welcomed = true;
        s.attempt = 0;
        this.stats.welcomes++;
      } else if (f.type === "job.run") {
        if (f.steps.some((st) => st.step === "doctor.lint")) s.triagesSeen++;
        if (s.spec.profile === "silent" || (s.spec.profile === "stall-once" && s.triagesSeen === 1)) {
          this.stats.jobsIgnored++;
          return;
        }
        const canned = CANNED[s.spec.profile];
        const wanted = new Set(f.steps.map((st) => st.step));
        const results = canned.filter((r) => wanted.has(r.step));
        // As the real agent does: one progress frame per step (none when the job says
        // `progress: false`, unless this agent predates the flag), then the result.
        if (f.progress !== false || s.spec.legacy) {
          for (const result of results) ws.send(JSON.stringify({ type: "job.progress", jobId: f.jobId, result }));
          this.stats.progressSent += results.length;
        }
        ws.send(JSON.stringify({ type: "job.result", jobId: f.jobId, status: "done", results }));
        this.stats.jobsAnswered++;
      }
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      s.welcomed = false;
      s.ws = null;
      if (s.stopped) return;
      // Full jitter: uniform in [0, min(max, base·2^attempt)], as src/agent/connection.ts does.
      const cap = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** s.attempt);
      s.attempt++;
      setTimeout(() => this.connect(s), Math.random() * cap);
    });
  }
}
