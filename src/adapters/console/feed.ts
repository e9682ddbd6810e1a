import type { Message } from "../../core/messages/model.ts";
import type { Clock } from "../../core/ports/basics.ts";
import type { ChatMessage, ChatPort } from "../../core/ports/chat.ts";
import { messageToHtml } from "./html.ts";

/**
 * The local console's "Slack": messages the bot posts are appended to a log the console
 * page and the `clawops` CLI read. Same ChatPort, same messages, no Slack credentials.
 * The log keeps the neutral message; readers get it with its HTML, rendered here, so the
 * page only inserts it and the CLI renders the message as terminal text.
 */
export interface ConsoleEvent {
  seq: number;
  kind: "post" | "update";
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  message: Message;
  at: number;
}

/** What the console API serves: an event with its message drawn as the page's HTML. */
export type ConsoleFeedEvent = ConsoleEvent & { html: string };

/** A message as the console API serves it (a command's ack). */
export function toConsoleMessage(m: Message): { text: string; message: Message; html: string } {
  return { text: m.text, message: { text: m.text, parts: m.parts }, html: messageToHtml(m) };
}

function withHtml(e: ConsoleEvent): ConsoleFeedEvent {
  return { ...e, html: messageToHtml(e.message) };
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
  private readonly listeners = new Set<(e: ConsoleFeedEvent) => void>();
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
      message: { text: m.text, parts: m.parts },
      at: now,
    });
    return { ts };
  }

  chatName(): string {
    return "the local console";
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    await this.emit({
      kind: "update",
      channel: m.channel,
      ts: m.ts,
      threadTs: m.threadTs ?? null,
      text: m.text,
      message: { text: m.text, parts: m.parts },
      at: this.clock.now(),
    });
  }

  async since(seq: number): Promise<ConsoleFeedEvent[]> {
    return (await this.log.since(seq)).map(withHtml);
  }

  head(): Promise<number> {
    return this.log.head();
  }

  subscribe(listener: (e: ConsoleFeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async emit(event: Omit<ConsoleEvent, "seq">): Promise<void> {
    const stored = await this.log.append(event);
    if (this.listeners.size === 0) return;
    const served = withHtml(stored);
    for (const l of this.listeners) l(served);
  }
}
