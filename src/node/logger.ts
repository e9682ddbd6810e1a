import type { LogFields, Logger } from "../core/ports.ts";

/** JSON lines on stderr. Callers pass ids and codes, never secrets. */
export function createLogger(component: string, opts: { quiet?: boolean } = {}): Logger {
  const emit = (level: string, message: string, fields?: LogFields) => {
    if (opts.quiet && level === "info") return;
    process.stderr.write(
      `${JSON.stringify({ t: new Date().toISOString(), level, component, msg: message, ...fields })}\n`,
    );
  };
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
