import { type DestinationStream, pino } from "pino";
import { DEFAULT_LOG_LEVEL, type LogLevel } from "../contract/log-level.ts";
import type { LogFields, Logger } from "../core/ports/basics.ts";

/**
 * Field names whose values are never written, wherever a caller puts them (top level or one
 * level down, e.g. `headers.authorization`): the log formatter (redactFields) replaces them
 * with "[redacted]". Callers pass ids and codes, never secrets; this is the net under that rule. Error codes stay readable
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

const SECRET_SET: ReadonlySet<string> = new Set(SECRET_KEYS);
const CENSOR = "[redacted]";
const SIGNATURE_HEADER = "x-slack-signature";

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null;

/** `obj` with the keys in `censored` replaced by the censor; the same object when none is there. */
function censorKeys(
  obj: Fields,
  censored: (key: string) => boolean,
  nested?: (key: string, v: Fields) => Fields,
): Fields {
  let out: Fields | null = null;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    let next = value;
    if (censored(key)) next = CENSOR;
    else if (nested && isObject(value)) next = nested(key, value);
    if (next !== value) {
      out ??= Array.isArray(obj) ? ([...obj] as unknown as Fields) : { ...obj };
      out[key] = next;
    }
  }
  return out ?? obj;
}

/**
 * The paths of REDACT_PATHS censored in a line's fields: a secret key at the top level or one
 * level down, the Slack signature header in `headers` there too. Copies only what it censors,
 * so a line without secrets costs one walk over its keys (pino's path-based redaction cloned
 * and walked every line: most of a log line's cost on the slash-command ack).
 */
export function redactFields(fields: Fields): Fields {
  const signature = (v: Fields) => censorKeys(v, (k) => k === SIGNATURE_HEADER);
  return censorKeys(
    fields,
    (k) => SECRET_SET.has(k),
    (key, value) => {
      const inner = censorKeys(
        value,
        (k) => SECRET_SET.has(k),
        (k, v) => (k === "headers" ? signature(v) : v),
      );
      return key === "headers" ? signature(inner) : inner;
    },
  );
}

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
      // `component` through the mixin, not `base`: pino writes `base` and a line's own fields side
      // by side, so a line that names its component (Bolt's, the Socket Mode client's) had the key
      // twice. Merged, the line's own wins: one `component` per line.
      base: undefined,
      mixin: () => ({ component }),
      timestamp: () => `,"t":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }), log: redactFields },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => log[level](fields ?? {}, message);
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
