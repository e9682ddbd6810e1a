import { monotonicMs } from "./monotonic.ts";

/**
 * Notices a hub connection that went quiet without closing: a link that drops packets with no
 * FIN or RST (a NAT that forgot the flow, a cable pulled on the far side, a peer frozen) leaves
 * the socket "open" on this side for as long as TCP keeps retrying, hours. Every `intervalMs`
 * it pings (the hub answers at the WebSocket level, `ws` and workerd alike, without waking a
 * hibernated Durable Object); anything heard from the hub (a pong, a ping, a frame) counts.
 * When nothing was heard for `budgetMs`, `onSilent` runs once: the connection drops the socket and
 * dials again.
 */
export class Liveness {
  private lastHeard = monotonicMs();
  private timer: NodeJS.Timeout | null = null;
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
    this.timer = setInterval(() => {
      const silentMs = monotonicMs() - this.lastHeard;
      if (silentMs >= budgetMs) {
        this.stop();
        if (!this.fired) {
          this.fired = true;
          this.onSilent(Math.round(silentMs));
        }
        return;
      }
      this.ping();
    }, intervalMs);
    // The agent's own timers keep it alive (the connection, the watch); this one needs not.
    this.timer.unref();
  }

  heard(): void {
    this.lastHeard = monotonicMs();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
