import type { Claims } from "../../core/ports/claims.ts";

/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
type SqlValue = string | number | null;
type SqlRow = Record<string, unknown>;
interface SqlDriver {
  rows(sql: string, ...params: SqlValue[]): SqlRow[];
}

// The `claims` table is the state schema's (migration 1, STATE_MIGRATIONS in state-store.ts):
// `key TEXT PRIMARY KEY, until INTEGER NOT NULL`, indexed on `until`. Migration 13 moved into it
// the request identities the `requests` table held (claimRequest's, now claims like any other).

/** How often expired claims are swept out of the table. */
const SWEEP_MS = 60_000;

/**
 * Claims (ports/claims.ts) in the state's SQLite: node:sqlite on Node, the directory object's
 * SQLite on Workers. One upsert decides, so claimers at once (two requests in one process, or
 * RPCs interleaved in the object) agree on one winner.
 */
export class SqlClaims implements Claims {
  private readonly driver: SqlDriver;
  private nextSweep = Number.NEGATIVE_INFINITY;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async claim(key: string, now: number, until: number): Promise<boolean> {
    // One statement per claim (a command's ack path claims its request identity): an expired
    // claim of the key is taken over by the upsert itself, so the table is swept of expired
    // claims once a minute, not on every claim.
    if (now >= this.nextSweep) {
      this.driver.rows("DELETE FROM claims WHERE until <= ?", now);
      this.nextSweep = now + SWEEP_MS;
    }
    return (
      this.driver.rows(
        "INSERT INTO claims (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE claims.until <= ? RETURNING key",
        key,
        until,
        now,
      ).length > 0
    );
  }

  async release(key: string, until: number): Promise<void> {
    this.driver.rows("DELETE FROM claims WHERE key = ? AND until = ?", key, until);
  }
}
