import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { writeAgentConfig } from "../../src/agent/identity.ts";
import { saveApprovalPin } from "../../src/agent/policy.ts";
import {
  type ApprovalClaims,
  type ApprovalKeyPair,
  generateApprovalKey,
  signApproval,
} from "../../src/contract/approval.ts";
import { makeTempDir } from "./file-end.ts";

/**
 * An agent state folder as enrollment leaves it (agent config for `host`, the control plane's
 * approval key pinned), for tests that run mutating steps straight through `runSteps`; and the
 * key that signs their approvals.
 */
export async function enrolledAgentDir(
  host: string,
  parent?: string,
): Promise<{ agentDir: string; key: ApprovalKeyPair }> {
  // Under a parent the test owns it is the test's; under the temp folder, removed at the file's end.
  const agentDir = parent ? mkdtempSync(join(parent, "clawops-agent-")) : makeTempDir("clawops-agent-");
  writeAgentConfig(agentDir, { server: "http://127.0.0.1:9", host, enrolledAt: new Date().toISOString() });
  const key = (await generateApprovalKey()).pair;
  saveApprovalPin(agentDir, key.publicKey);
  return { agentDir, key };
}

/** A fresh approval (new nonce, valid 2 min) as the control plane signs one after a button press. */
export function testApproval(
  key: ApprovalKeyPair,
  claims: Pick<ApprovalClaims, "host" | "step"> & Partial<ApprovalClaims>,
): Promise<string> {
  const now = Date.now();
  return signApproval(key, {
    v: 1,
    approver: "U0OWNER",
    job: `job_${claims.step.replace(".", "_")}_test`,
    nonce: randomBytes(12).toString("hex"),
    iat: now,
    exp: now + 120_000,
    ...claims,
  });
}
