import type { QueuedRun } from "../rpc.ts";

export interface QueuedJob {
  jobId: string;
  run: QueuedRun;
  enqueuedAt: number;
}

type QueueRow = { job_id: string; run: string; enqueued_at: number };

/**
 * The host object's triage and bundle jobs, in its SQLite (`job_queue`), oldest first. A job
 * stays here until its run ended, so one interrupted by a reset of the object runs again.
 */
export class SqlJobQueue {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Queues a job once: the same job id again is ignored. */
  enqueue(jobId: string, run: QueuedRun, at: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO job_queue (job_id, run, enqueued_at) VALUES (?, ?, ?)",
      jobId,
      JSON.stringify(run),
      at,
    );
  }

  next(): QueuedJob | null {
    const row = this.sql.exec<QueueRow>("SELECT * FROM job_queue ORDER BY enqueued_at, job_id LIMIT 1").toArray()[0];
    return row ? { jobId: row.job_id, run: JSON.parse(row.run) as QueuedRun, enqueuedAt: row.enqueued_at } : null;
  }

  get size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM job_queue").one().n;
  }

  remove(jobId: string): void {
    this.sql.exec("DELETE FROM job_queue WHERE job_id = ?", jobId);
  }
}
