import { isAbsolute, join, resolve } from "node:path";
import type { ChannelCredential } from "../../contract/catalog.ts";
import { readFile } from "../fs-async.ts";
import { parseConfigText } from "./config-text.ts";
import { tokenFingerprint } from "./fingerprint.ts";
import { type ConfigTextReader, readConfigText, resolveSecretString } from "./openclaw-config.ts";

/**
 * The chat credentials a gateway's config names (issue 30): fingerprinted for the fleet (two
 * hosts polling one Telegram bot token each get 409 Conflict), and added to what redaction
 * removes. The values never leave the host.
 */

/** Config keys that hold a channel account's credential (OpenClaw docs/channels/*.md). */
const CREDENTIAL_KEYS = ["botToken", "token", "appToken", "userToken", "signingSecret"] as const;
const FILE_KEYS = ["tokenFile", "botTokenFile"] as const;
/** Env fallbacks OpenClaw reads for a channel's default account (docs/channels/telegram/setup.md). */
const ENV_FALLBACK: Record<string, string> = { telegram: "TELEGRAM_BOT_TOKEN" };
const MAX_CREDENTIALS = 20;

/** A channel credential as read on the host: the value stays on the host (redaction, fingerprints). */
export type ChannelSecret = { channel: string; accountId: string; setting: string; value: string };

/** Channel credentials as they leave the host: fingerprinted, the credential itself left out. */
export function fingerprintedCredentials(secrets: readonly ChannelSecret[]): ChannelCredential[] {
  return secrets.map(({ value, ...rest }) => ({ ...rest, fingerprint: tokenFingerprint(value) }));
}

/** `channels.<channel>` (its default account) and `channels.<channel>.accounts.<id>`, each account's credential. */
export async function readChannelSecrets(
  configPath: string,
  env: Readonly<Record<string, string | undefined>>,
  readText: ConfigTextReader = readConfigText,
): Promise<ChannelSecret[]> {
  let text: string;
  try {
    text = await readText(configPath);
  } catch {
    return [];
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) return [];
  const root = parsed.root;
  const out: ChannelSecret[] = [];
  for (const [channel, raw] of Object.entries(record(record(root).channels))) {
    const section = record(raw);
    if (section.enabled === false) continue;
    const accounts: [string, Record<string, unknown>][] = [
      ["default", section],
      ...Object.entries(record(section.accounts)).map(([id, a]): [string, Record<string, unknown>] => [id, record(a)]),
    ];
    for (const [accountId, account] of accounts) {
      if (account.enabled === false) continue;
      const found = await accountCredential(account, configPath, env);
      const fallback = ENV_FALLBACK[channel];
      const fromEnv =
        !found && accountId === "default" && fallback && env[fallback]
          ? { setting: fallback, value: env[fallback] as string }
          : undefined;
      const credential = found ?? fromEnv;
      if (credential) out.push({ channel: channel.slice(0, 60), accountId: accountId.slice(0, 80), ...credential });
    }
  }
  return out.slice(0, MAX_CREDENTIALS);
}

async function accountCredential(
  account: Record<string, unknown>,
  configPath: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ setting: string; value: string } | undefined> {
  // tokenFile beats botToken (docs/channels/telegram/setup.md: "tokenFile beats botToken").
  for (const key of FILE_KEYS) {
    const path = account[key];
    if (typeof path !== "string" || path === "") continue;
    const full = isAbsolute(path) ? path : resolve(join(configPath, ".."), path);
    const text = (await readFile(full, "utf8").catch(() => ""))?.trim();
    if (text) return { setting: key, value: text };
  }
  for (const key of CREDENTIAL_KEYS) {
    const value = resolveSecretString(account[key], env).value;
    if (value) return { setting: key, value };
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
