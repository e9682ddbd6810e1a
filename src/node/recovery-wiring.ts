import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { slackUserGroupResolver } from "../adapters/slack/usergroups.ts";
import { DEFAULT_SLACK_API_URL } from "../adapters/slack/web-api.ts";
import { type ApprovalKeyPair, generateApprovalKey, importApprovalKey } from "../contract/approval.ts";
import { logTally } from "../core/audit/log-tally.ts";
import { Authorizer, type AuthzConfig, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/authz/authz.ts";
import { DecisionBus } from "../core/confirmations/decision-bus.ts";
import { sweepExpiries } from "../core/expiries/radar.ts";
import { expireFreezes } from "../core/freezes/freezes.ts";
import { EMPTY_FREEZE_POLICY, type FreezePolicy, parseFreezePolicy } from "../core/freezes/policy.ts";
import { sweepScheduledFreezes } from "../core/freezes/schedule.ts";
import { refreshStaleHeaders } from "../core/incidents/header.ts";
import { drainOutbox } from "../core/incidents/outbox.ts";
import { postWeeklyDigest } from "../core/incidents/report.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { CoreDeps } from "../core/ports/deps.ts";
import type { RecoveryDeps } from "../core/ports/recovery.ts";
import { noteInterruptedUpgrades } from "../core/upgrade/interrupted.ts";
import { SqliteRecoveryStore } from "./recovery-store.ts";

export interface RecoveryConfig {
  /** The authorization file's rules (CLAWOPS_AUTHZ_FILE, read and checked by src/node/config/load.ts). */
  authz?: AuthzConfig;
  /** Or the path of the authorization JSON file, read here; neither: mutations only from the local console. */
  authzFile?: string;
  /** Channel ids for freeze announcements (CLAWOPS_ANNOUNCE_CHANNELS, comma-separated). */
  announceChannels?: readonly string[];
  /** How often the expiry sweep runs. */
  freezeSweepMs?: number;
  /** The freeze policy (CLAWOPS_FREEZE_POLICY, read and checked by src/node/config/load.ts). */
  freezePolicy?: FreezePolicy;
  /** Or the path of the freeze policy JSON file, read here; neither: no automatic freezes. */
  freezePolicyFile?: string;
  /** Minutes before a scheduled freeze starts that its warning goes out (CLAWOPS_FREEZE_WARN_MIN, default 15). */
  freezeWarnMin?: number;
}

/** Reads and checks the freeze policy file; a wrong one stops the start with the field named. */
export function loadFreezePolicy(file: string | undefined): FreezePolicy {
  if (!file) return EMPTY_FREEZE_POLICY;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`CLAWOPS_FREEZE_POLICY ${file}: cannot read it as JSON (${String(err)})`);
  }
  return parseFreezePolicy(raw, `CLAWOPS_FREEZE_POLICY ${file}`);
}

export function loadAuthorizer(
  authz: AuthzConfig | undefined,
  authzFile: string | undefined,
  slack: { botToken: string; apiUrl?: string } | undefined,
): Authorizer {
  let config = authz ?? DEFAULT_AUTHZ;
  if (!authz && authzFile) {
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
    authz: loadAuthorizer(config.authz, config.authzFile, slack),
    announceChannels: config.announceChannels ?? [],
    approvalKey: await loadOrCreateApprovalKey(dataDir),
    decisions: new DecisionBus(),
    ...(config.freezeWarnMin !== undefined ? { freezeWarnMs: Math.round(config.freezeWarnMin * 60_000) } : {}),
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

/**
 * Node's stand-in for the directory Durable Object's alarm: on a timer, announces the scheduled
 * freezes' moments that are due, sweeps expired freezes (automatic ones lift with their
 * all-clear), edits the incident headers a storm held back, and writes the counted log lines.
 * The first three are stored, so a restart picks up where the last process stopped.
 */
export function startSweeper(deps: CoreDeps, everyMs: number, logger: Logger): () => Promise<void> {
  let running: Promise<void> | null = null;
  const sweep = async () => {
    const now = deps.clock.now();
    const { announced } = await sweepScheduledFreezes(deps, now);
    for (const a of announced) logger.info("scheduled freeze announced", a);
    const { expired } = await expireFreezes(deps, now);
    for (const f of expired) logger.info("freeze expired", { target: f.target, owner: f.owner });
    // Upgrade runs live in the process: a host a dead run was upgrading is said once (upgrade/interrupted.ts).
    for (const host of await noteInterruptedUpgrades(deps)) logger.warn("upgrade run interrupted", { host });
    // Incident headers whose edits a storm held back, and the storm's counted log lines.
    await refreshStaleHeaders(deps);
    // Pages queued after their incident's record (core/paging/outbox.ts): sent or retried here.
    await drainOutbox(deps);
    await postWeeklyDigest(deps, deps.digest);
    // The expiry calendar's weekly post and the day's expiry incidents, each claimed once (expiries/radar.ts).
    await sweepExpiries(deps, deps.expiries);
    logTally(deps).flush();
  };
  const tick = () => {
    if (running) return;
    running = sweep()
      .catch((err) => logger.error("freeze sweep failed", { err: String(err) }))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  // At once too: a moment due while the control plane was down is announced on start.
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
