import { slackUserGroupResolver } from "../adapters/slack/usergroups.ts";
import { DEFAULT_SLACK_API_URL } from "../adapters/slack/web-api.ts";
import { type ApprovalKeyPair, importApprovalKey } from "../contract/approval.ts";
import { Authorizer } from "../core/authz/authz.ts";
import { DecisionBus } from "../core/confirmations/decision-bus.ts";
import type { RecoverRuns, RecoveryDeps, RecoveryStore } from "../core/ports/recovery.ts";
import { DirectoryRecoveryStore } from "./directory-store.ts";
import { type WorkerConfig, type WorkerEnv, workerVar } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";

const logger = createConsoleLogger("clawops-worker");

/** The command that makes the approval key: it prints a private JWK, wrangler stores it. */
export const APPROVAL_KEY_SETUP =
  "`npm run -s clawops -- approval-key | npx wrangler secret put CLAWOPS_APPROVAL_KEY`, then enroll each agent again (`clawops-agent enroll`) so it pins the key";

/** The approval signing key, or why `/openclaw recover` cannot sign. */
export type ApprovalKeyResult = { ok: true; key: ApprovalKeyPair } | { ok: false; missing: string };

/** Imported once per isolate and secret value (importKey is async; requests are not). */
let cached: { jwk: string; key: Promise<ApprovalKeyPair> } | null = null;

/**
 * The approval signing key from the CLAWOPS_APPROVAL_KEY secret (an Ed25519 private JWK,
 * the same shape as Node's approval-key.json). Absent or unreadable: why, in words an
 * operator can act on; the secret's value is never echoed.
 */
export async function workerApprovalKey(env: WorkerEnv): Promise<ApprovalKeyResult> {
  const jwk = workerVar(env, "CLAWOPS_APPROVAL_KEY")?.trim();
  if (!jwk) return { ok: false, missing: `CLAWOPS_APPROVAL_KEY is not set; run ${APPROVAL_KEY_SETUP}` };
  if (cached?.jwk !== jwk) {
    // Not JSON.parse's own error: V8 quotes the start of the input in it, which is the secret.
    let parsed: JsonWebKey | null = null;
    try {
      parsed = JSON.parse(jwk) as JsonWebKey;
    } catch {
      parsed = null;
    }
    cached = { jwk, key: parsed ? importApprovalKey(parsed) : Promise.reject(new Error("not JSON")) };
  }
  try {
    return { ok: true, key: await cached.key };
  } catch (err) {
    cached = null;
    // The import error names what is wrong with the key, never the key itself.
    logger.error("CLAWOPS_APPROVAL_KEY not imported", { err: String(err) });
    return {
      ok: false,
      missing: `CLAWOPS_APPROVAL_KEY is not an Ed25519 private key in JWK form; make a new one with ${APPROVAL_KEY_SETUP}`,
    };
  }
}

/**
 * Freezes, authorization, the audit log and the recover runbook on Workers. Recover runs
 * need the RECOVER Workflow and the approval key; without either, `/openclaw recover` says
 * which is missing and how to add it.
 */
export function workerRecovery(
  env: WorkerEnv,
  config: WorkerConfig,
  opts: {
    approvalKey?: ApprovalKeyPair;
    approvalKeyMissing?: string;
    runs?: RecoverRuns;
    /** Default: the directory object by RPC (the directory itself passes its own SQLite). */
    store?: RecoveryStore;
  } = {},
): RecoveryDeps {
  const missing = !env.RECOVER
    ? "the Worker has no RECOVER Workflow binding (wrangler.toml `[[workflows]]`, as in this repository's)"
    : opts.approvalKeyMissing;
  return {
    store: opts.store ?? new DirectoryRecoveryStore(env.DIRECTORY),
    authz: new Authorizer(
      config.authz,
      slackUserGroupResolver({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL ?? DEFAULT_SLACK_API_URL }),
    ),
    announceChannels: config.announceChannels,
    ...(config.freezeWarnMs !== undefined ? { freezeWarnMs: config.freezeWarnMs } : {}),
    // Runs wait in their Workflow instance (`runs`), never in this isolate's memory.
    decisions: new DecisionBus(),
    ...(opts.approvalKey ? { approvalKey: opts.approvalKey } : {}),
    ...(opts.runs ? { runs: opts.runs } : {}),
    ...(config.values.CLAWOPS_DRAIN_POLL_MS ? { drainPollMs: config.values.CLAWOPS_DRAIN_POLL_MS } : {}),
    ...(missing ? { runbookUnavailable: `The recover runbook is off on this Worker: ${missing}.` } : {}),
  };
}
