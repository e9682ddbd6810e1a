import { JobResultFrame, parseFrame } from "../../contract/agent-wire.ts";
import type { EarlyResults } from "../../core/hub/frame-socket.ts";

/** Results that arrive for no pending job are kept this long, for a re-sent job to pick up. */
export const EARLY_RESULT_TTL_MS = 10 * 60_000;

/**
 * Results the agent re-sent for jobs this object no longer had pending (it was reset while
 * the job ran), kept in its SQLite (`early_results`) until the job's re-run asks for them.
 */
export class SqlEarlyResults implements EarlyResults {
  private readonly sql: SqlStorage;
  /**
   * Whether the table is known to be empty (null: not known, read it). Almost always it is:
   * then `take`, asked on every dispatch (each host's quick probe of a live `status all`),
   * costs no query.
   */
  private empty: boolean | null = null;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  keep(frame: JobResultFrame, at: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO early_results (job_id, frame, at) VALUES (?, ?, ?)",
      frame.jobId,
      JSON.stringify(frame),
      at,
    );
    this.empty = false;
  }

  take(jobId: string): JobResultFrame | null {
    if (this.empty === null) {
      this.empty = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM early_results").one().n === 0;
    }
    if (this.empty) return null;
    const row = this.sql
      .exec<{ frame: string }>("SELECT frame FROM early_results WHERE job_id = ?", jobId)
      .toArray()[0];
    if (!row) return null;
    this.sql.exec("DELETE FROM early_results WHERE job_id = ?", jobId);
    this.empty = null;
    const parsed = parseFrame(JobResultFrame, row.frame);
    return parsed.ok ? parsed.frame : null;
  }

  /** Drops results older than the TTL. */
  expire(now: number): void {
    this.sql.exec("DELETE FROM early_results WHERE at < ?", now - EARLY_RESULT_TTL_MS);
    this.empty = null;
  }

  /** When the oldest kept result expires, if any is kept. */
  nextExpiry(): number | null {
    if (this.empty === true) return null;
    const oldest = this.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM early_results").one();
    return oldest.at === null ? null : oldest.at + EARLY_RESULT_TTL_MS;
  }
}
