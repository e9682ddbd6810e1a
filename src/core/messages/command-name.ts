import { ClawopsError } from "../errors.ts";
import type { Message } from "./model.ts";

/**
 * The slash command's name. OpenClaw's own Slack app registers `/openclaw` too, so a
 * workspace running both names clawops differently (CLAWOPS_COMMAND, e.g. `/clawops`). Core
 * writes every help and usage text with the default name; a control plane with another name
 * rewrites them on the way out, so the default's output stays byte for byte what it was.
 */
export const DEFAULT_COMMAND = "/openclaw";

/** Slack's rule for a command name: a slash, then at most 32 lower-case characters. */
const COMMAND_NAME = /^\/[a-z0-9][a-z0-9_-]{0,31}$/;

export function parseCommandName(raw: string | undefined): string {
  const name = (raw ?? "").trim() || DEFAULT_COMMAND;
  if (!COMMAND_NAME.test(name)) {
    throw new ClawopsError(
      "bad_request",
      `CLAWOPS_COMMAND must be a slash command name like \`/clawops\` (a slash, then up to 32 lower-case letters, digits, \`-\` or \`_\`), got "${name}".`,
    );
  }
  return name;
}

/**
 * `/openclaw` where it stands as the command, in prose, code spans or bold; not inside a path
 * such as `/usr/lib/openclaw` or `/openclaw/state`.
 */
const DEFAULT_TOKEN = /(^|[\s`(*_"'])\/openclaw(?=[\s`)*_.,:;"']|$)/g;

export function renameCommandText(text: string, name: string): string {
  return name === DEFAULT_COMMAND ? text : text.replace(DEFAULT_TOKEN, `$1${name}`);
}

/** Fields that identify rather than say something: left as they are. */
const IDENTIFIERS = new Set(["kind", "id", "actionId", "value", "rank", "severity", "status"]);

function renameDeep<T>(value: T, name: string): T {
  if (typeof value === "string") return renameCommandText(value, name) as T;
  if (Array.isArray(value)) return value.map((v) => renameDeep(v, name)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, IDENTIFIERS.has(k) ? v : renameDeep(v, name)]),
    ) as T;
  }
  return value;
}

/** The message with every `/openclaw` command in its text shown as `name`. */
export function renameCommand<M extends Message>(message: M, name: string | undefined): M {
  return !name || name === DEFAULT_COMMAND ? message : renameDeep(message, name);
}

/** The text after the command name, if `text` starts with the default or the configured one. */
export function stripCommandName(text: string, name: string | undefined): string {
  const trimmed = text.replace(/^\s+/, "");
  for (const n of new Set([name ?? DEFAULT_COMMAND, DEFAULT_COMMAND])) {
    if (trimmed === n || trimmed.startsWith(`${n} `)) return trimmed.slice(n.length);
  }
  return text;
}
