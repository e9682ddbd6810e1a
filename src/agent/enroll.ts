import { EnrollAnswer, type EnrollRequest, ErrorAnswer } from "../contract/enroll.ts";
import { errorMessage } from "../contract/errors.ts";
import { firstIssue } from "../contract/issues.ts";
import { httpFetch } from "./http-client.ts";
import { isoTime } from "./icu-free.ts";
import { loadOrCreateIdentity, writeAgentConfig } from "./identity.ts";
import { saveApprovalPin } from "./policy.ts";

/** An enrollment answer is a few hundred bytes; anything this large is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;
const ENROLL_TIMEOUT_MS = 30_000;

/** Registers this host's public key with the control plane, using a one-time code. */
export async function enroll(opts: {
  dir: string;
  server: string;
  host: string;
  code: string;
}): Promise<{ host: string }> {
  const identity = loadOrCreateIdentity(opts.dir);
  const url = new URL("/api/enroll", opts.server);
  const request: EnrollRequest = { code: opts.code, host: opts.host, publicKey: identity.publicKey };
  let res: Awaited<ReturnType<typeof httpFetch>>;
  try {
    res = await httpFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      maxBodyBytes: MAX_ANSWER_BYTES,
      signal: AbortSignal.timeout(ENROLL_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`cannot reach the control plane at ${opts.server}: ${errorMessage(err)}`);
  }
  let json: unknown = null;
  try {
    json = JSON.parse(res.body.toString("utf8"));
  } catch {
    // Not JSON: said below with the status.
  }
  if (res.statusCode !== 200) {
    const refused = ErrorAnswer.safeParse(json);
    const why = refused.success
      ? `${refused.data.error.message} (${refused.data.error.code})`
      : `HTTP ${res.statusCode}`;
    throw new Error(`enrollment refused: ${why}`);
  }
  const answer = EnrollAnswer.safeParse(json);
  if (!answer.success) {
    const { where, message } = firstIssue(answer.error.issues);
    throw new Error(`the control plane's enrollment answer is not one this agent reads${where}: ${message}`);
  }
  writeAgentConfig(opts.dir, { server: opts.server, host: answer.data.host, enrolledAt: isoTime() });
  // Mutating steps need approvals signed by this key; the agent never learns another one over the wire.
  if (answer.data.approvalKey !== null) saveApprovalPin(opts.dir, answer.data.approvalKey);
  return { host: answer.data.host };
}
