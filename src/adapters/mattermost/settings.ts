import { parsedBy, textOf, type VarSpec } from "../env/vars.ts";

/**
 * Mattermost's settings, one table both runtimes spread into theirs (src/node/config/schema.ts,
 * src/worker/env-vars.ts), so they read and check them the same way. Mattermost is on when all
 * three are set; some but not all is a problem listed with the rest.
 */
const MATTERMOST = "Mattermost";

export const MATTERMOST_VARS = {
  MATTERMOST_URL: {
    group: MATTERMOST,
    doc: "The Mattermost server's address (its Site URL, e.g. `https://chat.example.com`): with MATTERMOST_BOT_TOKEN and MATTERMOST_COMMAND_TOKEN, the slash command `POST /mattermost/commands` and button actions `POST /mattermost/actions` (docs/mattermost.md). clawops calls its REST API v4 under `/api/v4`.",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(t.trim()))
        throw new Error("MATTERMOST_URL is not an http(s) URL (the server's Site URL).");
      return t.trim().replace(/\/+$/, "");
    }),
  },
  MATTERMOST_BOT_TOKEN: {
    group: MATTERMOST,
    doc: "The bot account's access token (Integrations → Bot Accounts), a secret: clawops posts, edits and uploads with it, and signs its buttons' context with a key derived from it (a new token retires the old buttons).",
    secret: true,
    schema: parsedBy((t) => t?.trim() || undefined),
  },
  MATTERMOST_COMMAND_TOKEN: {
    group: MATTERMOST,
    doc: "The slash command's token (Integrations → Slash Commands, shown once the command is saved), a secret: a command request carrying any other token is refused with 401.",
    secret: true,
    schema: parsedBy((t) => t?.trim() || undefined),
  },
} as const satisfies Record<string, VarSpec>;

export interface MattermostSettings {
  /** The server's Site URL, without a trailing slash. */
  url: string;
  botToken: string;
  commandToken: string;
}

const NAMES = ["MATTERMOST_URL", "MATTERMOST_BOT_TOKEN", "MATTERMOST_COMMAND_TOKEN"] as const;

/** Some but not all of the three set: what to set. */
export function mattermostSettingsProblem(raw: Readonly<Record<string, string | undefined>>): string | undefined {
  const set = NAMES.filter((n) => textOf(raw, n) !== undefined);
  if (set.length === 0 || set.length === NAMES.length) return undefined;
  const missing = NAMES.filter((n) => !set.includes(n));
  return `Mattermost needs ${NAMES.join(", ")} together; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (docs/mattermost.md).`;
}

/** The parsed values as settings; undefined while Mattermost is off. */
export function mattermostSettingsOf(v: {
  MATTERMOST_URL?: string | undefined;
  MATTERMOST_BOT_TOKEN?: string | undefined;
  MATTERMOST_COMMAND_TOKEN?: string | undefined;
}): MattermostSettings | undefined {
  if (!v.MATTERMOST_URL || !v.MATTERMOST_BOT_TOKEN || !v.MATTERMOST_COMMAND_TOKEN) return undefined;
  return { url: v.MATTERMOST_URL, botToken: v.MATTERMOST_BOT_TOKEN, commandToken: v.MATTERMOST_COMMAND_TOKEN };
}
