/**
 * Errors a probe can end with. The code is stable: the step result carries it to the control
 * plane, which keys findings and Slack text on it. A probe that throws anything else is
 * reported as `probe_failed`.
 */
export type ProbeErrorCode =
  /** The step's own deadline (or the job's) passed before the probe finished. */
  | "probe_timeout"
  /** The job was cancelled (agent shutting down, connection lost). */
  | "probe_aborted"
  /** The probe threw something unexpected. */
  | "probe_failed"
  /** The probe's data did not match the catalog schema (an agent bug, never sent as-is). */
  | "invalid_result"
  /** The `openclaw` executable could not be started. */
  | "cli_unavailable"
  /** Neither /proc nor a fallback tool (ss, lsof) could list sockets or processes. */
  | "proc_unavailable"
  /** No doctor reading for what doctor reads now: one is being taken in the background (agent `run`). */
  | "doctor_pending";

export class ProbeError extends Error {
  readonly code: ProbeErrorCode;

  constructor(code: ProbeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProbeError";
    this.code = code;
  }
}

export function isProbeError(err: unknown): err is ProbeError {
  return err instanceof ProbeError;
}

/** `ECONNREFUSED`-style code of a Node system error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * Re-exported for the probes that still import it from here (logs.ts, bundle-log-read.ts, under
 * concurrent rework); the one definition is src/contract/errors.ts.
 */
