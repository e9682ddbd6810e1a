import { z } from "zod";
import { isMutatingStep, MUTATING_STEPS, type MutatingStep } from "./catalog.ts";
import { fromBase64Url, toBase64Url } from "./encoding.ts";

/** The steps an approval can name: those the catalog defines as mutating. */
export { isMutatingStep, MUTATING_STEPS, type MutatingStep };

/**
 * An approval for one mutating step on one host, signed by the control plane's Ed25519 key.
 * The agent pins the control plane's public key at enrollment and runs a mutating step only
 * with an approval that verifies and matches: this host, this exact step, not expired, a
 * nonce it has not seen. WebCrypto only (control plane on Node/Workers, agent on Node).
 *
 * Token: base64url(JSON claims) "." base64url(signature over the first part's bytes).
 */
export const ApprovalClaims = z
  .object({
    v: z.literal(1),
    host: z.string().min(1).max(63),
    step: z.enum(MUTATING_STEPS),
    /** Slack user id (or `console`) who pressed the confirmation button. */
    approver: z.string().min(1).max(64),
    /** The run (job) the approval belongs to. */
    job: z.string().min(1).max(80),
    /** Single use: the agent remembers nonces until they expire. */
    nonce: z.string().min(16).max(64),
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .strict();
export type ApprovalClaims = z.infer<typeof ApprovalClaims>;

/** Longest an approval may live: long enough to reach the agent, too short to hoard. */
export const MAX_APPROVAL_TTL_MS = 10 * 60_000;

/**
 * How far the agent's clock may be behind the control plane's and still accept an approval
 * (its `iat` up to this far in the agent's future). The agent keeps a used nonce until its clock
 * is this far past the approval's expiry, and refuses approvals while its clock is more than this
 * behind the latest time it checked one at (src/agent/used-approvals.ts).
 */
export const APPROVAL_CLOCK_SKEW_MS = 60_000;

export interface ApprovalKeyPair {
  privateKey: CryptoKey;
  /** Raw 32-byte public key, base64url: what agents pin. */
  publicKey: string;
}

export async function generateApprovalKey(): Promise<{ pair: ApprovalKeyPair; privateJwk: JsonWebKey }> {
  const kp = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", kp.publicKey)) as ArrayBuffer);
  const privateJwk = (await crypto.subtle.exportKey("jwk", kp.privateKey)) as JsonWebKey;
  return { pair: { privateKey: kp.privateKey, publicKey: toBase64Url(raw) }, privateJwk };
}

export async function importApprovalKey(privateJwk: JsonWebKey): Promise<ApprovalKeyPair> {
  if (!privateJwk.x) throw new Error("approval key JWK lacks its public part (x)");
  // Only the key material: runtimes disagree on `alg` ("Ed25519" from Node, "EdDSA" expected by
  // workerd) and on `key_ops`/`ext`, none of which the key needs.
  const { kty, crv, d, x } = privateJwk;
  const privateKey = await crypto.subtle.importKey("jwk", { kty, crv, d, x }, { name: "Ed25519" }, false, ["sign"]);
  return { privateKey, publicKey: privateJwk.x };
}

export async function signApproval(key: ApprovalKeyPair, claims: ApprovalClaims): Promise<string> {
  const body = toBase64Url(new TextEncoder().encode(JSON.stringify(ApprovalClaims.parse(claims))));
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, new TextEncoder().encode(body)));
  return `${body}.${toBase64Url(sig)}`;
}

export type ApprovalCheck = { ok: true; claims: ApprovalClaims } | { ok: false; reason: string };

/**
 * What the agent runs before a mutating step. `seenNonce` reports (and records) a nonce;
 * it returns true when the nonce was used before.
 */
export async function verifyApproval(
  token: string,
  expect: {
    publicKey: string;
    host: string;
    step: MutatingStep;
    now: number;
    seenNonce: (nonce: string, exp: number) => boolean;
  },
): Promise<ApprovalCheck> {
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined) return { ok: false, reason: "approval is malformed" };
  let good = false;
  try {
    const key = await crypto.subtle.importKey("raw", fromBase64Url(expect.publicKey), { name: "Ed25519" }, false, [
      "verify",
    ]);
    good = await crypto.subtle.verify("Ed25519", key, fromBase64Url(sig), new TextEncoder().encode(body));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: "approval signature does not verify against the pinned control-plane key" };
  let parsed: ReturnType<typeof ApprovalClaims.safeParse> | undefined;
  try {
    parsed = ApprovalClaims.safeParse(JSON.parse(new TextDecoder().decode(fromBase64Url(body))));
  } catch {
    // Not JSON, or not base64url: malformed as surely as a claim of the wrong shape.
  }
  if (!parsed?.success) return { ok: false, reason: "approval claims are malformed" };
  const claims = parsed.data;
  if (claims.host !== expect.host)
    return { ok: false, reason: `approval is for host ${claims.host}, not ${expect.host}` };
  if (claims.step !== expect.step)
    return { ok: false, reason: `approval is for step ${claims.step}, not ${expect.step}` };
  if (claims.exp <= expect.now) return { ok: false, reason: "approval has expired" };
  if (claims.exp - claims.iat > MAX_APPROVAL_TTL_MS || claims.iat > expect.now + APPROVAL_CLOCK_SKEW_MS) {
    return { ok: false, reason: "approval lifetime is out of bounds" };
  }
  if (expect.seenNonce(claims.nonce, claims.exp)) return { ok: false, reason: "approval was already used" };
  return { ok: true, claims };
}

/** An agent's memory of used nonces, pruned once no accepted clock could find them unexpired. */
export class NonceLedger {
  private readonly seen = new Map<string, number>();
  check(nonce: string, exp: number, now: number): boolean {
    for (const [n, e] of this.seen) if (e + APPROVAL_CLOCK_SKEW_MS <= now) this.seen.delete(n);
    if (this.seen.has(nonce)) return true;
    this.seen.set(nonce, exp);
    return false;
  }
}
