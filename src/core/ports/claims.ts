/**
 * "Once per key, until a time": the one way clawops does a piece of work once although the
 * request, alert or event that asks for it may arrive twice (Slack retries a slow request and a
 * signed one can be replayed within five minutes; Alertmanager repeats a firing alert; a digest's
 * moment is seen by every wake-up of the hour; two instances read the same webhook).
 *
 * Scope: the deployment's state. On Node, the state database's `claims` table (SQLite), shared
 * by everything in the one process and kept across a restart; on Workers, the same table in the
 * directory Durable Object's SQLite (every request and isolate claims there, by RPC), kept across
 * restarts and deploys. A claim never outlives its `until`: an expired claim is free to take again,
 * and any call may drop expired claims.
 */
export interface Claims {
  /**
   * Claims `key` until `until` (ms): true if this caller got it; false while an earlier claim of
   * it holds (its `until` is later than `now`). Claimers at once: exactly one gets it.
   */
  claim(key: string, now: number, until: number): Promise<boolean>;
  /**
   * Gives back the claim of `key` made until `until` (its work failed, so a repeat may try
   * again); a later claim of the same key (another `until`) is left.
   */
  release(key: string, until: number): Promise<void>;
}
