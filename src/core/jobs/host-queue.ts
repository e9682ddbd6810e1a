/**
 * Runs jobs for the same host one after another. Concurrent triages of one gateway would
 * probe it in parallel, and during token drift each failed auth doubles the gateway's
 * penalty (up to 5 s, GATEWAY-FACTS §4.3); serialising also keeps bursts of commands from
 * starving the ack path of CPU.
 */
export class HostJobQueue {
  private readonly tails = new Map<string, { tail: Promise<void>; depth: number }>();

  /** Jobs ahead of a new one for this host (running + waiting). */
  depth(host: string): number {
    return this.tails.get(host)?.depth ?? 0;
  }

  run(host: string, task: () => Promise<void>): Promise<void> {
    const entry = this.tails.get(host) ?? { tail: Promise.resolve(), depth: 0 };
    entry.depth++;
    const next = entry.tail.then(task).finally(() => {
      entry.depth--;
      if (entry.depth === 0 && this.tails.get(host) === entry) this.tails.delete(host);
    });
    // The chain must survive a failed task; the caller still sees the rejection.
    entry.tail = next.catch(() => undefined);
    this.tails.set(host, entry);
    return next;
  }
}
