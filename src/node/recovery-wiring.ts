import { readFileSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "../core/ports.ts";
import { Authorizer, DEFAULT_AUTHZ, parseAuthzConfig } from "../core/recovery/authz.ts";
import { expireFreezes, type RecoveryCoreDeps, type RecoveryDeps } from "../core/recovery/service.ts";
import { slackUserGroupResolver } from "../core/slack/usergroups.ts";
import { DEFAULT_SLACK_API_URL } from "../core/slack/web-api.ts";
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

export function createRecoveryDeps(
  db: DatabaseSync,
  config: RecoveryConfig,
  slack: { botToken: string; apiUrl?: string } | undefined,
): RecoveryDeps {
  return {
    store: new SqliteRecoveryStore(db),
    authz: loadAuthorizer(config.authzFile, slack),
    announceChannels: config.announceChannels ?? [],
  };
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
