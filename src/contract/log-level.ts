/**
 * LOG_LEVEL: the least severe log line a process writes (debug < info < warn < error). Shared
 * by the control plane (Node and Workers) and the agent, so one variable means the same
 * everywhere.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = "info";

/** LOG_LEVEL read: unset or empty means info; anything else not in the list is an error naming the choices. */
export function parseLogLevel(raw: string | undefined): { ok: true; level: LogLevel } | { ok: false; message: string } {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return { ok: true, level: DEFAULT_LOG_LEVEL };
  const level = LOG_LEVELS.find((l) => l === value);
  if (level) return { ok: true, level };
  return { ok: false, message: `LOG_LEVEL=${JSON.stringify(raw)} is not one of ${LOG_LEVELS.join(", ")}.` };
}

/** Whether a line at `level` is written when the process logs from `threshold` up. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}
