import type { Context } from "hono";
import { SlidingWindow } from "./sliding-window.ts";

/**
 * Where an anonymous request comes from, for limits kept per source (issue 32, item 5: one
 * window for every caller let anyone's 30 wrong enrollment codes refuse everyone's right one).
 * Node: the peer address (or, behind a trusted proxy, the address it forwarded); Workers:
 * CF-Connecting-IP. A runtime that cannot tell answers one name for all, and the per-source
 * limits then act as global ones.
 */
export type ClientAddress = (c: Context) => string;

export const UNKNOWN_SOURCE = "unknown";

/**
 * A sliding window per source, at most `max` events each in `windowMs`. Sources are kept while
 * they have events in the window, at most `maxSources` of them (the oldest-touched go first), so
 * a flood from many addresses costs bounded memory.
 */
export class SourceWindows {
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxSources: number;

  constructor(max: number, windowMs: number, maxSources = 10_000) {
    this.max = max;
    this.windowMs = windowMs;
    this.maxSources = maxSources;
  }

  private get(source: string): SlidingWindow | undefined {
    const w = this.windows.get(source);
    if (w) {
      // Most recently touched last: the first entries are the ones to drop.
      this.windows.delete(source);
      this.windows.set(source, w);
    }
    return w;
  }

  /** How long until `source` may have one more event (0: now). */
  blockedForMs(source: string, now: number): number {
    return this.get(source)?.blockedForMs(now) ?? 0;
  }

  /** How many events `source` had in the window. */
  count(source: string, now: number): number {
    return this.get(source)?.count(now) ?? 0;
  }

  add(source: string, now: number): void {
    let w = this.get(source);
    if (!w) {
      w = new SlidingWindow(this.max, this.windowMs);
      this.windows.set(source, w);
      while (this.windows.size > this.maxSources) {
        const oldest = this.windows.keys().next().value as string;
        this.windows.delete(oldest);
      }
    }
    w.add(now);
  }
}
