import { monotonicMs } from "./monotonic.ts";

/**
 * Notices a hub connection that went quiet without closing: a link that drops packets with no
 * FIN or RST (a NAT that forgot the flow, a cable pulled on the far side, a peer frozen) leaves
 * the socket "open" on this side for as long as TCP keeps retrying, hours. Every `intervalMs`
 * it pings (the hub answers at the WebSocket level, `ws` and workerd alike, without waking a
 * hibernated Durable Object); anything heard from the hub (a pong, a ping, a frame) counts.
 * When nothing was heard for `budgetMs`, `onSilent` runs once: the connection drops the socket and
 * dials again.
 *
 * The silence has its own deadline, `budgetMs` after the last thing heard (issue 44, item 5: it
 * was checked only at each ping, so a link that died just after a pong was dropped at the third
 * ping after it, 45 s at Node's 15 s heartbeat instead of the 31 s the docs say). The deadline's
 * timer is not moved at each thing heard (a busy link hears thousands): when it fires early it
 * sleeps again for what is left.
 */
export class Liveness {
  private lastHeard = monotonicMs();
  private pinger: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private fired = false;
  private readonly ping: () => void;
  private readonly onSilent: (silentMs: number) => void;

  constructor(ping: () => void, onSilent: (silentMs: number) => void) {
    this.ping = ping;
    this.onSilent = onSilent;
  }

  /** (Re)starts the checks at this pace; the time since the last thing heard carries over. */
  start(intervalMs: number, budgetMs: number): void {
    this.stop();
    this.fired = false;
    this.pinger = setInterval(() => this.ping(), intervalMs);
    // The agent's own timers keep it alive (the connection, the watch); these need not.
    this.pinger.unref();
    this.armDeadline(budgetMs);
  }

  heard(): void {
    this.lastHeard = monotonicMs();
  }

  stop(): void {
    if (this.pinger) clearInterval(this.pinger);
    if (this.deadline) clearTimeout(this.deadline);
    this.pinger = null;
    this.deadline = null;
  }

  private armDeadline(budgetMs: number): void {
    const left = Math.max(0, this.lastHeard + budgetMs - monotonicMs());
    this.deadline = setTimeout(() => {
      this.deadline = null;
      const silentMs = monotonicMs() - this.lastHeard;
      if (silentMs < budgetMs) return this.armDeadline(budgetMs);
      this.stop();
      if (this.fired) return;
      this.fired = true;
      this.onSilent(Math.round(silentMs));
    }, Math.ceil(left));
    this.deadline.unref();
  }
}
