/**
 * Counts the HTTP requests the control plane is answering (those with a body: commands, button
 * presses, alerts, enrollments; not GETs such as the console's event stream), so that a queued
 * job can wait for a lull before it starts: a burst of slash commands is acked first and the
 * triages it queued run right after it, instead of sharing the one thread with the acks.
 */
export class RequestLull {
  private active = 0;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private readonly quietMs: number;
  private readonly now: () => number;

  /** `quietMs`: how long no request may have been answered for a lull (a burst's requests come back to back). */
  constructor(quietMs = 25, now: () => number = () => performance.now()) {
    this.quietMs = quietMs;
    this.now = now;
  }

  /** Whether `method` is counted: requests that carry work, not reads. */
  static counts(method: string): boolean {
    return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.active;
  }

  /** Answers `run()` as one counted request. */
  async around<T>(run: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      this.lastEnd = this.now();
    }
  }

  /**
   * Resolves once no counted request is being answered and none ended in the last `quietMs`,
   * or after `maxMs` at the latest.
   */
  async wait(maxMs: number): Promise<void> {
    const until = this.now() + maxMs;
    for (;;) {
      const now = this.now();
      const quietFor = now - this.lastEnd;
      if ((this.active === 0 && quietFor >= this.quietMs) || now >= until) return;
      const next = Math.min(until - now, this.active === 0 ? this.quietMs - quietFor : this.quietMs);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, next)));
    }
  }
}
