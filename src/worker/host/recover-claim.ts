import type { Logger } from "../../core/ports/basics.ts";

/**
 * The host's recover lock, in its object's SQLite (`recover_claim`): one recover run per host
 * at a time, as on Node. A claim whose Workflow instance has ended (finished, failed,
 * terminated) without giving it back is taken over; a claim younger than `graceMs` holds even
 * though its instance may not exist yet.
 */
export class RecoverClaim {
  private readonly sql: SqlStorage;
  private readonly runIsLive: (runId: string) => Promise<boolean>;
  private readonly logger: Logger;

  constructor(sql: SqlStorage, runIsLive: (runId: string) => Promise<boolean>, logger: Logger) {
    this.sql = sql;
    this.runIsLive = runIsLive;
    this.logger = logger;
  }

  /** Null when claimed for `runId`; else the id of the run that holds the host. */
  async claim(runId: string, graceMs: number): Promise<string | null> {
    const held = this.holder();
    if (held && held.run_id !== runId) {
      if (Date.now() - held.claimed_at < graceMs || (await this.runIsLive(held.run_id))) return held.run_id;
      // Another claim may have landed while the instance was asked about (the input gate is open).
      const now = this.holder();
      if (now && now.run_id !== held.run_id) return now.run_id;
      this.logger.warn("recover claim taken over from an ended run", { run: held.run_id });
    }
    this.sql.exec("DELETE FROM recover_claim");
    this.sql.exec("INSERT INTO recover_claim (run_id, claimed_at) VALUES (?, ?)", runId, Date.now());
    return null;
  }

  /** The run that holds the host (claimed within `graceMs`, or its instance still live), else null. */
  async running(graceMs: number): Promise<string | null> {
    const held = this.holder();
    if (!held) return null;
    return Date.now() - held.claimed_at < graceMs || (await this.runIsLive(held.run_id)) ? held.run_id : null;
  }

  release(runId: string): void {
    this.sql.exec("DELETE FROM recover_claim WHERE run_id = ?", runId);
  }

  private holder() {
    return this.sql
      .exec<{ run_id: string; claimed_at: number }>("SELECT run_id, claimed_at FROM recover_claim")
      .toArray()[0];
  }
}
