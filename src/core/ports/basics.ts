/**
 * The interfaces every core service is given, whatever it does: a clock, ids and a logger.
 * Implementations live at the edge, one wiring file per runtime; tests use their own.
 */

export interface Clock {
  now(): number;
}

export interface Ids {
  /** A unique, URL-safe id with a readable prefix, e.g. `job_…`. */
  id(prefix: string): string;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;
export interface Logger {
  /** Written only with LOG_LEVEL=debug; absent on loggers that never write it. */
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
