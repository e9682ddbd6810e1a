import type { Turns } from "../ports/turns.ts";

/**
 * Turns held in this process (ports/turns.ts): a promise chain per key, dropped once its last
 * task settled. Node's jobs, the watch's frames and a host object's jobs each use one.
 */
export class InProcessTurns implements Turns {
  private readonly tails = new Map<string, { tail: Promise<unknown>; depth: number }>();

  /** Tasks of `key` running or waiting (a host's jobs ahead of a new one). */
  depth(key: string): number {
    return this.tails.get(key)?.depth ?? 0;
  }

  inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.tails.get(key) ?? { tail: Promise.resolve(), depth: 0 };
    entry.depth++;
    const next = entry.tail.then(task).finally(() => {
      entry.depth--;
      if (entry.depth === 0 && this.tails.get(key) === entry) this.tails.delete(key);
    });
    // The chain must survive a failed task; the caller still sees the rejection.
    entry.tail = next.catch(() => undefined);
    this.tails.set(key, entry);
    return next;
  }

  /** Whether a task of any key is running or waiting. */
  get busy(): boolean {
    return this.tails.size > 0;
  }

  /** Resolves once no task of any key is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()].map((e) => e.tail));
  }
}
