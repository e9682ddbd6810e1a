import { type DestinationStream, pino } from "pino";
import { DEFAULT_LOG_LEVEL, type LogLevel } from "../contract/log-level.ts";
import type { LogFields, Logger } from "../core/ports.ts";

/**
 * Field names whose values are never written, wherever a caller puts them (top level or one
 * level down, e.g. `headers.authorization`): pino replaces them with "[redacted]". Callers pass
 * ids and codes, never secrets; this is the net under that rule. Error codes stay readable
 * (`code` is not here); one-time codes are named for what they are.
 */
const SECRET_KEYS = [
  "token",
  "accessToken",
  "botToken",
  "appToken",
  "apiToken",
  "bearer",
  "secret",
  "signingSecret",
  "clientSecret",
  "linkSecret",
  "consoleSecret",
  "password",
  "authorization",
  "cookie",
  "apiKey",
  "privateKey",
  "enrollmentCode",
  "loginCode",
  "oneTimeCode",
] as const;

export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

export interface LoggerOptions {
  /** The least severe level written (LOG_LEVEL); default info. */
  level?: LogLevel;
  /** Where the JSON lines go; default stderr, written synchronously (no line lost at exit). */
  destination?: DestinationStream;
}

/**
 * The Node control plane's logger: pino, one JSON object per line on stderr
 * (`{"level":"info","t":"…","component":"clawops",…fields,"msg":"…"}`), which journald and
 * `docker logs` keep intact, with the secret field names of REDACT_PATHS censored.
 */
export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const log = pino(
    {
      level: opts.level ?? DEFAULT_LOG_LEVEL,
      base: { component },
      timestamp: () => `,"t":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => log[level](fields ?? {}, message);
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
