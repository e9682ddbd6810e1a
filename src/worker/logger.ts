import { env } from "cloudflare:workers";
import { type LogLevel, levelEnabled } from "../contract/log-level.ts";
import type { LogFields, Logger } from "../core/ports/basics.ts";
import { workerVar } from "./env.ts";

/** LOG_LEVEL from the Worker's vars (read per line: the bindings are the deployment's); bad or unset: info. */
function threshold(): LogLevel {
  return workerVar(env ?? {}, "LOG_LEVEL");
}

/**
 * JSON lines on the Workers console, which `wrangler tail` and Workers Logs show (and, for
 * JSON, index by field), from LOG_LEVEL up. Callers pass ids and codes, never secrets.
 */
export function createConsoleLogger(component: string): Logger {
  const line = (level: string, message: string, fields?: LogFields) =>
    JSON.stringify({ t: new Date().toISOString(), level, component, msg: message, ...fields });
  const emit = (level: LogLevel, write: (text: string) => void) => (m: string, f?: LogFields) => {
    if (levelEnabled(level, threshold())) write(line(level, m, f));
  };
  return {
    debug: emit("debug", (t) => console.debug(t)),
    info: emit("info", (t) => console.log(t)),
    warn: emit("warn", (t) => console.warn(t)),
    error: emit("error", (t) => console.error(t)),
  };
}
