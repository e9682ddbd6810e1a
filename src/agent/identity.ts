import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { signedHelloPayload } from "../contract/agent-wire.ts";
import { toBase64Url } from "../contract/encoding.ts";
import { fileIssue } from "../contract/issues.ts";
import { AgentConfig } from "./schemas.ts";

/**
 * The agent's on-disk identity: an Ed25519 key pair made at enrollment (the private key
 * never leaves the host; mode 0600) and agent.json saying which server and host name.
 */
export function defaultAgentDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAWOPS_AGENT_DIR ?? join(homedir(), ".clawops-agent");
}

const keyPath = (dir: string) => join(dir, "agent-key.pem");
const configPath = (dir: string) => join(dir, "agent.json");

export interface AgentIdentity {
  privateKey: KeyObject;
  /** Raw 32-byte public key, base64url: what the control plane stores. */
  publicKey: string;
}

export function loadOrCreateIdentity(dir: string): AgentIdentity {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = keyPath(dir);
  if (existsSync(path)) {
    const privateKey = createPrivateKey(readFileSync(path, "utf8"));
    return { privateKey, publicKey: rawPublicKey(privateKey) };
  }
  const { privateKey } = generateKeyPairSync("ed25519");
  writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  chmodSync(path, 0o600);
  return { privateKey, publicKey: rawPublicKey(privateKey) };
}

function rawPublicKey(privateKey: KeyObject): string {
  const jwk = privateKey.export({ format: "jwk" }) as { x?: string };
  if (!jwk.x) throw new Error("not an Ed25519 key");
  return jwk.x; // JWK `x` is the raw public key, already base64url
}

export function signHello(identity: AgentIdentity, host: string, nonce: string): string {
  return toBase64Url(sign(null, Buffer.from(signedHelloPayload(host, nonce)), identity.privateKey));
}

export function readAgentConfig(dir: string): AgentConfig {
  const path = configPath(dir);
  if (!existsSync(path)) {
    throw new Error(
      `No agent config at ${path}. Enroll first: clawops-agent enroll --server <url> --host <name> --code <code>`,
    );
  }
  const parsed = AgentConfig.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(fileIssue(path, parsed.error.issues));
  return parsed.data;
}

export function writeAgentConfig(dir: string, config: AgentConfig): void {
  writeFileSync(configPath(dir), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
