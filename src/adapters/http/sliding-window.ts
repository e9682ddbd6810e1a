/**
 * Counts events in a sliding window of `windowMs`, at most `max` of them: how a route caps
 * what anonymous callers can make it do (failed enrollments, agent downloads).
 */
export class SlidingWindow {
  private readonly times: number[] = [];
  private readonly max: number;
  private readonly windowMs: number;

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Counts one event. */
  add(now: number): void {
    this.times.push(now);
    if (this.times.length > this.max) this.times.shift();
  }

  /** How long until one more event fits (0: now). */
  blockedForMs(now: number): number {
    this.expire(now);
    return this.times.length < this.max ? 0 : (this.times[0] ?? now) + this.windowMs - now;
  }

  /** Events in the window (at most `max`). */
  count(now: number): number {
    this.expire(now);
    return this.times.length;
  }

  private expire(now: number): void {
    while (this.times.length > 0 && (this.times[0] ?? 0) <= now - this.windowMs) this.times.shift();
  }

  /** Counts one event if it fits and returns 0; else how long until it would. */
  take(now: number): number {
    const wait = this.blockedForMs(now);
    if (wait === 0) this.add(now);
    return wait;
  }
}
