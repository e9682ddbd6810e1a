import { env, exports } from "cloudflare:workers";
import {
  AGENT_PROTOCOL_VERSION,
  type HubFrame,
  type JobRunFrame,
  signedHelloPayload,
} from "../../src/contract/agent-wire.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";

/**
 * A scripted agent on a real WebSocket to its host's Durable Object, through the Worker's real
 * `fetch` export: the host enrolled in the directory object with a fresh Ed25519 key (WebCrypto),
 * the hub's challenge answered with a signed hello, and each `job.run` answered with
 * `answer(frame)`'s results (one `job.progress` per result, then the `job.result`), as the real
 * agent streams them. Resolves at the welcome.
 */
export interface ScriptedAgent {
  host: string;
  socket: WebSocket;
  /** The hub's welcome (interval, digest period, heartbeat). */
  welcome: Extract<HubFrame, { type: "welcome" }>;
  /** Jobs this agent ran. */
  jobs: number;
}

export async function connectScriptedAgent(
  host: string,
  answer: (job: JobRunFrame) => StepResult[],
): Promise<ScriptedAgent> {
  const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = toBase64Url(new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer));
  await new DirectoryStore(env.DIRECTORY).insertHost({
    name: host,
    publicKey,
    enrolledAt: Date.now(),
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
  });
  const res = await exports.default.fetch(`https://clawops.example/agent/connect?host=${host}`, {
    headers: { upgrade: "websocket" },
  });
  const socket = res.webSocket;
  if (!socket) throw new Error(`no WebSocket: ${res.status} ${await res.text()}`);
  socket.accept();
  const agent: Omit<ScriptedAgent, "welcome"> = { host, socket, jobs: 0 };
  const welcome = await new Promise<ScriptedAgent["welcome"]>((resolve, reject) => {
    socket.addEventListener("close", (e) => reject(new Error(`agent socket closed ${e.code} ${e.reason}`)));
    socket.addEventListener("message", async (e) => {
      const frame = JSON.parse(String(e.data)) as HubFrame;
      if (frame.type === "challenge") {
        const sig = await crypto.subtle.sign(
          { name: "Ed25519" },
          keys.privateKey,
          new TextEncoder().encode(signedHelloPayload(host, frame.nonce)),
        );
        socket.send(
          JSON.stringify({
            type: "hello",
            protocol: AGENT_PROTOCOL_VERSION,
            host,
            nonce: frame.nonce,
            signature: toBase64Url(new Uint8Array(sig)),
            agentVersion: "0.1.0",
            gatewayVersion: "2026.9.6",
          }),
        );
      } else if (frame.type === "welcome") {
        resolve(frame);
      } else if (frame.type === "job.run") {
        agent.jobs += 1;
        const results = answer(frame);
        for (const result of results) socket.send(JSON.stringify({ type: "job.progress", jobId: frame.jobId, result }));
        socket.send(JSON.stringify({ type: "job.result", jobId: frame.jobId, status: "done", results }));
      }
    });
  });
  return Object.assign(agent, { welcome });
}
