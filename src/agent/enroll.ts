import { errorMessage } from "../contract/errors.ts";
import { isoTime } from "./icu-free.ts";
import { loadOrCreateIdentity, writeAgentConfig } from "./identity.ts";
import { saveApprovalPin } from "./policy.ts";

/** Registers this host's public key with the control plane, using a one-time code. */
export async function enroll(opts: {
  dir: string;
  server: string;
  host: string;
  code: string;
}): Promise<{ host: string }> {
  const identity = loadOrCreateIdentity(opts.dir);
  const url = new URL("/api/enroll", opts.server);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: opts.code, host: opts.host, publicKey: identity.publicKey }),
    });
  } catch (err) {
    throw new Error(`cannot reach the control plane at ${opts.server}: ${errorMessage(err)}`);
  }
  const body = (await res.json().catch(() => null)) as {
    ok?: boolean;
    host?: string;
    approvalKey?: string | null;
    error?: { code: string; message: string };
  } | null;
  if (!res.ok || !body?.ok || !body.host) {
    const why = body?.error ? `${body.error.message} (${body.error.code})` : `HTTP ${res.status}`;
    throw new Error(`enrollment refused: ${why}`);
  }
  writeAgentConfig(opts.dir, { server: opts.server, host: body.host, enrolledAt: isoTime() });
  // Mutating steps need approvals signed by this key; the agent never learns another one over the wire.
  if (typeof body.approvalKey === "string") saveApprovalPin(opts.dir, body.approvalKey);
  return { host: body.host };
}
