import type { Logger } from "../../core/ports/basics.ts";
import type { RecoverClaimTable } from "./store.ts";

/**
 * The host's recover lock, in its object's SQLite (`recover_claim`, store.ts): one recover run
 * per host at a time, as on Node. A claim whose Workflow instance has ended (finished, failed,
 * terminated) without giving it back is taken over; a claim younger than `graceMs` holds even
 * though its instance may not exist yet.
 */
export class RecoverClaim {
  private readonly table: RecoverClaimTable;
  private readonly runIsLive: (runId: string) => Promise<boolean>;
  private readonly logger: Logger;

  constructor(table: RecoverClaimTable, runIsLive: (runId: string) => Promise<boolean>, logger: Logger) {
    this.table = table;
    this.runIsLive = runIsLive;
    this.logger = logger;
  }

  /** Null when claimed for `runId`; else the id of the run that holds the host. */
  async claim(runId: string, graceMs: number): Promise<string | null> {
    const held = this.table.holder();
    if (held && held.runId !== runId) {
      if (Date.now() - held.claimedAt < graceMs || (await this.runIsLive(held.runId))) return held.runId;
      // Another claim may have landed while the instance was asked about (the input gate is open).
      const now = this.table.holder();
      if (now && now.runId !== held.runId) return now.runId;
      this.logger.warn("recover claim taken over from an ended run", { run: held.runId });
    }
    this.table.replace(runId, Date.now());
    return null;
  }

  /** The run that holds the host (claimed within `graceMs`, or its instance still live), else null. */
  async running(graceMs: number): Promise<string | null> {
    const held = this.table.holder();
    if (!held) return null;
    return Date.now() - held.claimedAt < graceMs || (await this.runIsLive(held.runId)) ? held.runId : null;
  }

  release(runId: string): void {
    this.table.remove(runId);
  }
}
