/**
 * How long a test waits for what should follow in a moment (a post, an alarm's work, an edit)
 * before it calls the product hung: a hang bound, not a speed claim. On a loaded CI box a Durable
 * Object's alarm posted its flap summary more than 10 s after the window's end (stop 53); latency
 * is measured by the benchmarks. A wait for a configured moment adds it: `WINDOW + HANG_MS`.
 */
export const HANG_MS = 60_000;

/**
 * Polls `probe` until it gives a truthy value and returns that value; throws `<what>: not within
 * <ms> ms` past `timeoutMs`, followed by what `seen` reads then (what the test was looking at, so
 * that a failure says where the product stopped). No runtime imports: the Node suites and the
 * Workers pool use it.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | Promise<T>,
  intervalMs = 20,
  seen?: () => unknown,
): Promise<Exclude<T, null | undefined | false | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, null | undefined | false | 0 | "">;
    if (Date.now() > deadline) {
      const late = `${what}: not within ${timeoutMs} ms`;
      if (!seen) throw new Error(late);
      let state: string;
      try {
        state = JSON.stringify(await seen(), null, 1);
      } catch (err) {
        state = `(could not be read: ${err instanceof Error ? err.message : String(err)})`;
      }
      throw new Error(`${late}; seen then: ${state}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
