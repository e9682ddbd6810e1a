import { AgentCloseCode, type HelloFrame, signedHelloPayload } from "../../contract/agent-wire.ts";
import { fromBase64Url, randomCode, sha256Hex } from "../../contract/encoding.ts";
import { ClawopsError } from "../errors.ts";
import type { Clock } from "../ports/basics.ts";
import type { Store } from "../ports/store.ts";
import { normalizeHostName } from "../vocabulary/hosts.ts";

export const ENROLLMENT_CODE_TTL_MS = 15 * 60_000;

/** Codes are stored hashed; the plain code is shown once, to whoever asked for it. */
export async function issueEnrollmentCode(
  deps: { store: Store; clock: Clock },
  rawHost: string,
): Promise<{ host: string; code: string; expiresAt: number }> {
  const host = normalizeHostName(rawHost);
  const existing = await deps.store.getHost(host);
  if (existing && !existing.revokedAt) {
    throw new ClawopsError(
      "host_exists",
      `Host \`${host}\` is already enrolled. Revoke it first to enroll a new key.`,
      {
        status: 409,
      },
    );
  }
  const code = randomCode();
  const now = deps.clock.now();
  const expiresAt = now + ENROLLMENT_CODE_TTL_MS;
  await deps.store.insertEnrollmentCode({ codeHash: await hashCode(code), host, expiresAt, createdAt: now });
  return { host, code, expiresAt };
}

export async function enrollHost(
  deps: { store: Store; clock: Clock },
  req: { code: string; host: string; publicKey: string },
): Promise<{ host: string }> {
  const host = normalizeHostName(req.host);
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = fromBase64Url(req.publicKey);
  } catch {
    raw = new Uint8Array();
  }
  if (raw.length !== 32) {
    throw new ClawopsError("bad_request", "publicKey must be a raw 32-byte Ed25519 key, base64url-encoded.");
  }
  const now = deps.clock.now();
  const claim = await deps.store.consumeEnrollmentCode(await hashCode(req.code), now);
  if (!claim || claim.host !== host) {
    throw new ClawopsError(
      "enrollment_code_invalid",
      `Enrollment code is unknown, used, expired or for another host. Issue a new one with \`clawops enroll ${host}\`.`,
      { status: 403 },
    );
  }
  const inserted = await deps.store.insertHost({
    name: host,
    publicKey: req.publicKey,
    enrolledAt: now,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
  });
  if (!inserted) throw new ClawopsError("host_exists", `Host \`${host}\` is already enrolled.`, { status: 409 });
  return { host };
}

async function hashCode(code: string): Promise<string> {
  return sha256Hex(
    code
      .trim()
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, ""),
  );
}

/** RFC 8032 test vector 1's public key: a valid point whose private key no agent uses. */
const NO_HOST_PUBLIC_KEY = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/** Same words for an unknown host and a bad signature (issue 15, item 9: no host-name oracle). */
export const NOT_VERIFIED_REASON = "unknown host or signature does not verify: enroll this host (again)";

export type HelloVerdict = { ok: true; host: string } | { ok: false; closeCode: number; reason: string };

/**
 * Checks an agent's hello against the nonce this connection issued. A nonce is good for
 * one hello on one connection, so a captured hello replayed later fails the nonce check.
 */
export async function verifyAgentHello(
  store: Pick<Store, "getHost">,
  issuedNonce: string,
  hello: HelloFrame,
): Promise<HelloVerdict> {
  if (hello.nonce !== issuedNonce) {
    return {
      ok: false,
      closeCode: AgentCloseCode.replayedNonce,
      reason: "nonce does not match this connection's challenge (replayed hello?)",
    };
  }
  const host = await store.getHost(hello.host);
  const payload = signedHelloPayload(hello.host, hello.nonce);
  // An unknown host costs the same signature check as a known one, against a key nobody
  // enrolled: neither the close code nor the time taken tells which host names exist.
  const good = await verifyEd25519(host?.publicKey ?? NO_HOST_PUBLIC_KEY, hello.signature, payload);
  if (!host || !good) return { ok: false, closeCode: AgentCloseCode.badSignature, reason: NOT_VERIFIED_REASON };
  // Only the holder of the enrolled key learns that it was revoked.
  if (host.revokedAt)
    return { ok: false, closeCode: AgentCloseCode.revoked, reason: `key for host "${hello.host}" was revoked` };
  return { ok: true, host: host.name };
}

async function verifyEd25519(publicKeyB64: string, signatureB64: string, message: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", fromBase64Url(publicKeyB64), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify("Ed25519", key, fromBase64Url(signatureB64), new TextEncoder().encode(message));
  } catch {
    return false;
  }
}
