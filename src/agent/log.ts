import { type LogLevel, levelEnabled, parseLogLevel } from "../contract/log-level.ts";
import { isoTime } from "./icu-free.ts";

export type AgentLogFields = Record<string, string | number | boolean | null | undefined>;
export interface AgentLogger {
  debug?(msg: string, fields?: AgentLogFields): void;
  info(msg: string, fields?: AgentLogFields): void;
  warn(msg: string, fields?: AgentLogFields): void;
  error(msg: string, fields?: AgentLogFields): void;
}

/**
 * One JSON object per line on stderr: journald and `docker logs` keep it intact. Lines below
 * LOG_LEVEL (debug, info, warn, error; default info) are not written. The agent keeps this small
 * logger rather than pino: it ships as one file to every host and runs in a tight memory budget.
 * An unreadable LOG_LEVEL does not stop the agent (it is how a host gets diagnosed): it logs at
 * info and says so once.
 */
export function jsonLogger(
  component: string,
  write: (line: string) => void = (l) => process.stderr.write(l),
  level: string | undefined = process.env.LOG_LEVEL,
): AgentLogger {
  const parsed = parseLogLevel(level);
  const threshold: LogLevel = parsed.ok ? parsed.level : "info";
  const emit = (lvl: LogLevel) => (msg: string, fields?: AgentLogFields) => {
    if (levelEnabled(lvl, threshold)) {
      write(`${JSON.stringify({ t: isoTime(), level: lvl, component, msg, ...fields })}\n`);
    }
  };
  const logger = { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
  if (!parsed.ok) logger.warn(`${parsed.message} Logging at info.`);
  return logger;
}
