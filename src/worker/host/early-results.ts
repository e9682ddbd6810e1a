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
  }

  take(jobId: string): JobResultFrame | null {
    const row = this.sql
      .exec<{ frame: string }>("SELECT frame FROM early_results WHERE job_id = ?", jobId)
      .toArray()[0];
    if (!row) return null;
    this.sql.exec("DELETE FROM early_results WHERE job_id = ?", jobId);
    const parsed = parseFrame(JobResultFrame, row.frame);
    return parsed.ok ? parsed.frame : null;
  }

  /** Drops results older than the TTL. */
  expire(now: number): void {
    this.sql.exec("DELETE FROM early_results WHERE at < ?", now - EARLY_RESULT_TTL_MS);
  }

  /** When the oldest kept result expires, if any is kept. */
  nextExpiry(): number | null {
    const oldest = this.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM early_results").one();
    return oldest.at === null ? null : oldest.at + EARLY_RESULT_TTL_MS;
  }
}
