import type { Block, ChatMessage, ChatPort, Clock } from "../../core/ports.ts";

/**
 * The local console's "Slack": messages the bot posts are appended to a log the console
 * page and the `clawops` CLI read. Same ChatPort, same Block Kit, no Slack credentials.
 */
export interface ConsoleEvent {
  seq: number;
  kind: "post" | "update";
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: Block[];
  at: number;
}

export interface ConsoleLog {
  append(event: Omit<ConsoleEvent, "seq">): Promise<ConsoleEvent>;
  since(seq: number, limit?: number): Promise<ConsoleEvent[]>;
  /** seq of the newest event, 0 when empty. */
  head(): Promise<number>;
}

export class InMemoryConsoleLog implements ConsoleLog {
  private readonly events: ConsoleEvent[] = [];
  async append(event: Omit<ConsoleEvent, "seq">): Promise<ConsoleEvent> {
    const stored = { ...event, seq: this.events.length + 1 };
    this.events.push(stored);
    return stored;
  }
  async since(seq: number, limit = 500): Promise<ConsoleEvent[]> {
    return this.events.filter((e) => e.seq > seq).slice(0, limit);
  }
  async head(): Promise<number> {
    return this.events.length;
  }
}

export class ConsoleChat implements ChatPort {
  private readonly listeners = new Set<(e: ConsoleEvent) => void>();
  private counter = 0;
  private readonly log: ConsoleLog;
  private readonly clock: Clock;

  constructor(log: ConsoleLog, clock: Clock) {
    this.log = log;
    this.clock = clock;
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    const now = this.clock.now();
    // Slack-shaped ts ("seconds.micro") so threads and updates key the same way.
    const ts = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000 + (this.counter++ % 1000)).padStart(6, "0")}`;
    await this.emit({
      kind: "post",
      channel: m.channel,
      ts,
      threadTs: m.threadTs ?? null,
      text: m.text,
      blocks: m.blocks,
      at: now,
    });
    return { ts };
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    await this.emit({
      kind: "update",
      channel: m.channel,
      ts: m.ts,
      threadTs: m.threadTs ?? null,
      text: m.text,
      blocks: m.blocks,
      at: this.clock.now(),
    });
  }

  since(seq: number): Promise<ConsoleEvent[]> {
    return this.log.since(seq);
  }

  head(): Promise<number> {
    return this.log.head();
  }

  subscribe(listener: (e: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async emit(event: Omit<ConsoleEvent, "seq">): Promise<void> {
    const stored = await this.log.append(event);
    for (const l of this.listeners) l(stored);
  }
}
