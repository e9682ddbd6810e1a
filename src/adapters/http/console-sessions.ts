import { randomToken, timingSafeEqual } from "../../contract/encoding.ts";
import type { Clock } from "../../core/ports/basics.ts";

/**
 * Browser sessions of the local console (issue 32, item 3). The cookie used to hold the install's
 * console secret itself, with no expiry; cookies are not port-scoped, so every other service on
 * 127.0.0.1 the operator's browser visited received the one credential that never changes. Now
 * a login makes a session: a random id (32 bytes) that lives CONSOLE_SESSION_TTL_MS at most,
 * ends at logout, and is known to this process only (a restart logs browsers out). The secret
 * stays in the data folder, for the CLI's bearer header.
 *
 * Issue 44, item 4: the cookie alone is not a session. The browser sends it to every service on
 * 127.0.0.1 (cookies are per host, not per port), and such a service can replay it with any
 * headers it likes. So each session also has a key that only the console's own origin holds: the
 * login hands it to the page (in the redirect's fragment, never sent to a server), the page keeps
 * it in its origin's localStorage (storage is per origin, port included) and sends it as the
 * `X-Clawops-Console-Key` header on every API call.
 */
export const CONSOLE_SESSION_TTL_MS = 12 * 3_600_000;
/** More open sessions than one operator makes: the oldest go first. */
const MAX_SESSIONS = 64;

export class ConsoleSessions {
  private readonly sessions = new Map<string, { expiresAt: number; key: string }>();
  private readonly clock: Clock;
  readonly ttlMs: number;

  constructor(clock: Clock, ttlMs = CONSOLE_SESSION_TTL_MS) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  /** A new session: its id (the cookie) and its key (the page's header), valid for `ttlMs`. */
  create(): { id: string; key: string } {
    this.sweep();
    const id = randomToken(32);
    const key = randomToken(32);
    this.sessions.set(id, { expiresAt: this.clock.now() + this.ttlMs, key });
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    return { id, key };
  }

  /** True while `id` is a live session (the cookie; the event stream re-checks it while open). */
  valid(id: string): boolean {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    if (session.expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** True while `id` is a live session and `key` is its key, compared in constant time. */
  matches(id: string, key: string): boolean {
    return this.valid(id) && timingSafeEqual(key, this.sessions.get(id)?.key ?? "");
  }

  /** Ends the session (logout); ending an unknown one does nothing. */
  end(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, { expiresAt }] of this.sessions) if (expiresAt <= now) this.sessions.delete(id);
  }
}
