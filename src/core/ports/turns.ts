/**
 * "One at a time per key": tasks of the same key run one after another, in the order they
 * asked; tasks of different keys run side by side. A task that fails fails only its caller; the
 * next in line still runs.
 *
 * Scope: one process on Node, one Durable Object (or one Worker request) on Workers. Turns are
 * held in memory (jobs/turns.ts `InProcessTurns`, a promise chain per key): nothing of them
 * survives a restart, and two processes or two objects do not wait for each other. Work that
 * must be once across processes claims first (claims.ts); the host's jobs on Workers are queued
 * in its object's SQLite and run by its alarm, in that object's turns.
 *
 * Keys: a host's name is its jobs' key; any other key has a `:` (no host name has one).
 */
export interface Turns {
  /** Runs `task` once every earlier task of `key` has settled; resolves or rejects as it did. */
  inTurn<T>(key: string, task: () => Promise<T>): Promise<T>;
}
