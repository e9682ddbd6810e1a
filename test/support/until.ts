/**
 * Polls `probe` until it gives a truthy value and returns that value; throws `<what>: not within
 * <ms> ms` past `timeoutMs`. No runtime imports: the Node suites and the Workers pool use it.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | Promise<T>,
  intervalMs = 20,
): Promise<Exclude<T, null | undefined | false | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, null | undefined | false | 0 | "">;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
