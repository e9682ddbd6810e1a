import type { LogFields, Logger } from "../core/ports.ts";

/**
 * JSON lines on the Workers console, which `wrangler tail` and Workers Logs show (and, for
 * JSON, index by field). Callers pass ids and codes, never secrets.
 */
export function createConsoleLogger(component: string): Logger {
  const line = (level: string, message: string, fields?: LogFields) =>
    JSON.stringify({ t: new Date().toISOString(), level, component, msg: message, ...fields });
  return {
    info: (m, f) => console.log(line("info", m, f)),
    warn: (m, f) => console.warn(line("warn", m, f)),
    error: (m, f) => console.error(line("error", m, f)),
  };
}
