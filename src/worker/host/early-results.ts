import { JobResultFrame, parseFrame } from "../../contract/agent-wire.ts";
import type { EarlyResults } from "../../core/hub/frame-socket.ts";
import type { EarlyResultTable } from "./store.ts";

/** Results that arrive for no pending job are kept this long, for a re-sent job to pick up. */
export const EARLY_RESULT_TTL_MS = 10 * 60_000;

/**
 * Results the agent re-sent for jobs this object no longer had pending (it was reset while
 * the job ran), kept in its SQLite (`early_results`, store.ts) until the job's re-run asks for
 * them.
 */
export class SqlEarlyResults implements EarlyResults {
  private readonly table: EarlyResultTable;
  /**
   * Whether the table is known to be empty (null: not known, read it). Almost always it is:
   * then `take`, asked on every dispatch (each host's quick probe of a live `status all`),
   * costs no query.
   */
  private empty: boolean | null = null;

  constructor(table: EarlyResultTable) {
    this.table = table;
  }

  keep(frame: JobResultFrame, at: number): void {
    this.table.put(frame.jobId, JSON.stringify(frame), at);
    this.empty = false;
  }

  take(jobId: string): JobResultFrame | null {
    if (this.empty === null) {
      this.empty = this.table.count === 0;
    }
    if (this.empty) return null;
    const kept = this.table.frame(jobId);
    if (kept === null) return null;
    this.table.remove(jobId);
    this.empty = null;
    const parsed = parseFrame(JobResultFrame, kept);
    return parsed.ok ? parsed.frame : null;
  }

  /** Drops results older than the TTL. */
  expire(now: number): void {
    this.table.removeBefore(now - EARLY_RESULT_TTL_MS);
    this.empty = null;
  }

  /** When the oldest kept result expires, if any is kept. */
  nextExpiry(): number | null {
    if (this.empty === true) return null;
    const oldest = this.table.oldestAt();
    return oldest === null ? null : oldest + EARLY_RESULT_TTL_MS;
  }
}
