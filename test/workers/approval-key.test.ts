import { describe, expect, it } from "vitest";
import { signApproval, verifyApproval } from "../../src/contract/approval.ts";
import type { WorkerEnv } from "../../src/worker/env.ts";
import { workerApprovalKey } from "../../src/worker/recovery.ts";

/**
 * CLAWOPS_APPROVAL_KEY inside workerd: the JWK `clawops approval-key` prints under Node (its
 * `alg` is "Ed25519", which workerd's importKey does not take as is) signs approvals that
 * verify against its public half, the one agents pin; a bad value is refused without echoing it.
 */
// A test-only key, printed by `npm run -s clawops -- approval-key` under Node 24.
const NODE_JWK =
  '{"key_ops":["sign"],"ext":true,"alg":"Ed25519","crv":"Ed25519","d":"fGOpfk9OrMIM3jiPB3_KHgAGmRgwWdhotPK3RiHzyKU","x":"JFHuOXnFLm0jqhwNudbs261GdWb_0V6akoGT5EGs7Ls","kty":"OKP"}';

const envWith = (key: string | undefined) => ({ CLAWOPS_APPROVAL_KEY: key }) as unknown as WorkerEnv;

describe("the approval signing key on Workers", () => {
  it("imports the key Node printed and signs approvals its public half verifies", async () => {
    const got = await workerApprovalKey(envWith(NODE_JWK));
    if (!got.ok) throw new Error(got.missing);
    expect(got.key.publicKey).toBe(JSON.parse(NODE_JWK).x);
    const now = Date.now();
    const token = await signApproval(got.key, {
      v: 1,
      host: "node-3",
      step: "gateway.restart",
      approver: "U0OWNER",
      job: "rec_test",
      nonce: "0123456789abcdef0123",
      iat: now,
      exp: now + 60_000,
    });
    const check = await verifyApproval(token, {
      publicKey: got.key.publicKey,
      host: "node-3",
      step: "gateway.restart",
      now,
      seenNonce: () => false,
    });
    expect(check).toMatchObject({ ok: true, claims: { approver: "U0OWNER" } });
  });

  it("says what to do when the key is unset, not JSON or not an Ed25519 key, and never echoes it", async () => {
    expect(await workerApprovalKey(envWith(undefined))).toMatchObject({
      ok: false,
      missing: expect.stringContaining("CLAWOPS_APPROVAL_KEY is not set"),
    });
    for (const bad of ["not-json-value-9f3e", '{"kty":"OKP","crv":"Ed25519","x":"abc","d":"d-value-77ab"}']) {
      const got = await workerApprovalKey(envWith(bad));
      expect(got.ok).toBe(false);
      if (got.ok) continue;
      expect(got.missing).toContain("is not an Ed25519 private key in JWK form");
      expect(got.missing).not.toMatch(/9f3e|77ab/);
    }
  });
});
