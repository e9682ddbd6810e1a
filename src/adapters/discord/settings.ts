import { parsedBy, textOf, type VarSpec } from "../env/vars.ts";
import { DISCORD_PUBLIC_KEY_SHAPE } from "./verify.ts";

/**
 * Discord's settings, one table both runtimes spread into theirs (src/node/config/schema.ts,
 * src/worker/env-vars.ts), so they read and check them the same way. Discord is on when all
 * three are set; some but not all is a problem listed with the rest.
 */
const DISCORD = "Discord";

export const DISCORD_VARS = {
  DISCORD_PUBLIC_KEY: {
    group: DISCORD,
    doc: "The application's public key (Developer Portal → General Information), 64 hex characters: with DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN, Discord's interactions endpoint `POST /discord/interactions` (docs/discord.md).",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      const key = t.trim();
      if (!DISCORD_PUBLIC_KEY_SHAPE.test(key))
        throw new Error("DISCORD_PUBLIC_KEY is not 64 hex characters (General Information → Public Key).");
      return key.toLowerCase();
    }),
  },
  DISCORD_APPLICATION_ID: {
    group: DISCORD,
    doc: "The application id (General Information → Application ID), a number.",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      if (!/^\d{5,25}$/.test(t.trim())) throw new Error("DISCORD_APPLICATION_ID is not a Discord id (digits only).");
      return t.trim();
    }),
  },
  DISCORD_BOT_TOKEN: {
    group: DISCORD,
    doc: "The bot's token (Bot → Reset Token), a secret: clawops posts and edits messages and starts threads with it.",
    secret: true,
    schema: parsedBy((t) => t?.trim() || undefined),
  },
  DISCORD_API_URL: {
    group: DISCORD,
    doc: "Only for a Discord stand-in (tests, staging). Default: Discord's REST API v10.",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      if (!/^https?:\/\/[^\s]+$/.test(t.trim()))
        throw new Error("DISCORD_API_URL is not an http(s) URL; unset it to use Discord's API.");
      return t.trim().replace(/\/+$/, "");
    }),
  },
} as const satisfies Record<string, VarSpec>;

export interface DiscordSettings {
  publicKey: string;
  applicationId: string;
  botToken: string;
  apiUrl?: string;
}

const NAMES = ["DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"] as const;

/** Some but not all of the three set: what to set. */
export function discordSettingsProblem(raw: Readonly<Record<string, string | undefined>>): string | undefined {
  const set = NAMES.filter((n) => textOf(raw, n) !== undefined);
  if (set.length === 0 || set.length === NAMES.length) return undefined;
  const missing = NAMES.filter((n) => !set.includes(n));
  return `Discord needs ${NAMES.join(", ")} together; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (docs/discord.md).`;
}

/** The parsed values as settings; undefined while Discord is off. */
export function discordSettingsOf(v: {
  DISCORD_PUBLIC_KEY?: string | undefined;
  DISCORD_APPLICATION_ID?: string | undefined;
  DISCORD_BOT_TOKEN?: string | undefined;
  DISCORD_API_URL?: string | undefined;
}): DiscordSettings | undefined {
  if (!v.DISCORD_PUBLIC_KEY || !v.DISCORD_APPLICATION_ID || !v.DISCORD_BOT_TOKEN) return undefined;
  return {
    publicKey: v.DISCORD_PUBLIC_KEY,
    applicationId: v.DISCORD_APPLICATION_ID,
    botToken: v.DISCORD_BOT_TOKEN,
    ...(v.DISCORD_API_URL ? { apiUrl: v.DISCORD_API_URL } : {}),
  };
}
