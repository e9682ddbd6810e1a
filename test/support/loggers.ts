import type { LogFields, Logger } from "../../src/core/ports/basics.ts";

/** A logger that writes nothing: for tests that assert on what the code did, not its log. */
export const quietLogger: Logger = { info() {}, warn() {}, error() {} };

export type LogLine = { level: "debug" | "info" | "warn" | "error"; message: string; fields?: LogFields };

/** A logger that keeps every line, for tests that assert on what was logged (and what was not). */
export type CollectingLogger = Logger & {
  lines: LogLine[];
  /** Every line as `level message {fields}`, one per line: for `toContain` / secret scans. */
  text(): string;
  /** The messages logged at `level`. */
  messages(level: LogLine["level"]): string[];
};

export function collectingLogger(): CollectingLogger {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields?: LogFields): void => {
      lines.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    text: () => lines.map((l) => `${l.level} ${l.message}${l.fields ? ` ${JSON.stringify(l.fields)}` : ""}`).join("\n"),
    messages: (level) => lines.filter((l) => l.level === level).map((l) => l.message),
  };
}
