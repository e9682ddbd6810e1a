import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { slackUserGroupResolver } from "../adapters/slack/usergroups.ts";
import { DEFAULT_SLACK_API_URL } from "../adapters/slack/web-api.ts";
import { type ApprovalKeyPair, generateApprovalKey, importApprovalKey } from "../contract/approval.ts";
import type { Logger } from "../core/ports.ts";
import { Authorizer, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/recovery/authz.ts";
import { DecisionBus } from "../core/recovery/decision-bus.ts";
import { expireFreezes, type RecoveryCoreDeps } from "../core/recovery/service.ts";
import type { RecoveryDeps } from "../core/recovery/types.ts";
import { SqliteRecoveryStore } from "./recovery-store.ts";

export interface RecoveryConfig {
  /** Path of the authorization JSON file (CLAWOPS_AUTHZ_FILE); absent: mutations only from the local console. */
  authzFile?: string;
  /** Channel ids for freeze announcements (CLAWOPS_ANNOUNCE_CHANNELS, comma-separated). */
  announceChannels?: readonly string[];
  /** How often the expiry sweep runs. */
  freezeSweepMs?: number;
}

export function loadAuthorizer(
  authzFile: string | undefined,
  slack: { botToken: string; apiUrl?: string } | undefined,
): Authorizer {
  let config = DEFAULT_AUTHZ;
  if (authzFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(authzFile, "utf8"));
    } catch (err) {
      throw new Error(`CLAWOPS_AUTHZ_FILE ${authzFile}: cannot read it as JSON (${String(err)})`);
    }
    config = parseAuthzConfig(raw, `CLAWOPS_AUTHZ_FILE ${authzFile}`);
  }
  const groups = slack
    ? slackUserGroupResolver({ token: slack.botToken, apiUrl: slack.apiUrl ?? DEFAULT_SLACK_API_URL })
    : undefined;
  return new Authorizer(config, groups);
}

export async function createRecoveryDeps(
  db: DatabaseSync,
  dataDir: string,
  config: RecoveryConfig,
  slack: { botToken: string; apiUrl?: string } | undefined,
): Promise<RecoveryDeps> {
  return {
    store: new SqliteRecoveryStore(db),
    authz: loadAuthorizer(config.authzFile, slack),
    announceChannels: config.announceChannels ?? [],
    approvalKey: await loadOrCreateApprovalKey(dataDir),
    decisions: new DecisionBus(),
  };
}

export const APPROVAL_KEY_FILE = "approval-key.json";

/** The control plane's approval signing key (Ed25519 JWK, mode 0600) under the data folder. */
export async function loadOrCreateApprovalKey(dataDir: string): Promise<ApprovalKeyPair> {
  const path = join(dataDir, APPROVAL_KEY_FILE);
  if (existsSync(path)) return importApprovalKey(JSON.parse(readFileSync(path, "utf8")) as JsonWebKey);
  const { pair, privateJwk } = await generateApprovalKey();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600, flag: "wx" });
  return pair;
}

export function parseChannelList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Node's stand-in for a Durable Object alarm: sweeps expired freezes on a timer. */
export function startFreezeSweeper(deps: RecoveryCoreDeps, everyMs: number, logger: Logger): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = expireFreezes(deps, deps.clock.now())
      .then(({ expired }) => {
        for (const f of expired) logger.info("freeze expired", { target: f.target, owner: f.owner });
      })
      .catch((err) => logger.error("freeze expiry sweep failed", { err: String(err) }))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
