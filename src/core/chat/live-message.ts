import type { Message } from "../messages/model.ts";
import type { Logger } from "../ports/basics.ts";
import type { ChatPort } from "../ports/chat.ts";

/**
 * A message that is posted once, then edited in place, one edit at a time: the progress of a
 * triage, a bundle or a recover run, and a triage's answer (posted early, then completed).
 * Sends run in call order, so an edit never overtakes the post or an older edit; a failed send
 * does not block the next one, and each caller sees its own send's outcome.
 */
export class LiveMessage {
  private current: string | null;
  private chain: Promise<void> = Promise.resolve();
  private readonly chat: ChatPort;
  private readonly where: { channel: string; threadTs?: string };
  private readonly onPosted: ((ts: string) => Promise<void>) | undefined;

  /**
   * `ts`: the message is already posted (a job run again after its runner was reset edits the
   * message it has instead of posting a second one). `onPosted` records the first post's ts.
   */
  constructor(
    chat: ChatPort,
    where: { channel: string; threadTs?: string; ts?: string | null },
    onPosted?: (ts: string) => Promise<void>,
  ) {
    this.chat = chat;
    this.where = { channel: where.channel, ...(where.threadTs ? { threadTs: where.threadTs } : {}) };
    this.current = where.ts ?? null;
    this.onPosted = onPosted;
  }

  /** The message's ts once posted. */
  get ts(): string | null {
    return this.current;
  }

  /** `message` may be made when its turn comes (a triage answer reads the host record then). */
  show(message: Message | (() => Promise<Message>)): Promise<void> {
    const next = this.chain
      .catch(() => undefined)
      .then(async () => this.send(typeof message === "function" ? await message() : message));
    this.chain = next;
    return next;
  }

  private async send(message: Message): Promise<void> {
    if (this.current) {
      await this.chat.updateMessage({ channel: this.where.channel, ts: this.current, ...message });
      return;
    }
    const posted = await this.chat.postMessage({ ...this.where, ...message });
    this.current = posted.ts;
    await this.onPosted?.(posted.ts);
  }
}

/** Slack's chat.update is Tier 3 (~50/min per app): one progress edit per interval is plenty. */
export const PROGRESS_UPDATE_INTERVAL_MS = 400;

/**
 * Sends the newest value at most once per interval, one at a time; values pushed in between
 * replace each other. `close()` drops what is still pending (the final update supersedes
 * it) and waits for the send in flight, so edits never land out of order.
 */
export function throttledLatest<T>(send: (value: T) => Promise<void>, intervalMs: number, logger: Logger) {
  let pending: { value: T } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let lastSent = Date.now();
  const schedule = () => {
    timer = setTimeout(fire, Math.max(0, lastSent + intervalMs - Date.now()));
  };
  const fire = () => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    lastSent = Date.now();
    inFlight = send(value)
      .catch((err) => logger.warn("progress update failed", { err: String(err) }))
      .finally(() => {
        inFlight = null;
        if (pending && !timer) schedule();
      });
  };
  return {
    push(value: T) {
      pending = { value };
      if (!timer && !inFlight) schedule();
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
      await inFlight;
    },
  };
}
