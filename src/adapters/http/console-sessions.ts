import { randomToken } from "../../contract/encoding.ts";
import type { Clock } from "../../core/ports/basics.ts";

/**
 * Browser sessions of the local console (issue 32, item 3). The cookie used to hold the install's
 * console secret itself, with no expiry; cookies are not port-scoped, so every other service on
 * 127.0.0.1 the operator's browser visited received the one credential that never changes. Now
 * a login makes a session: a random id (32 bytes) that lives CONSOLE_SESSION_TTL_MS at most,
 * ends at logout, and is known to this process only (a restart logs browsers out). The secret
 * stays in the data folder, for the CLI's bearer header.
 */
export const CONSOLE_SESSION_TTL_MS = 12 * 3_600_000;
/** More open sessions than one operator makes: the oldest go first. */
const MAX_SESSIONS = 64;

export class ConsoleSessions {
  private readonly sessions = new Map<string, number>();
  private readonly clock: Clock;
  readonly ttlMs: number;

  constructor(clock: Clock, ttlMs = CONSOLE_SESSION_TTL_MS) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  /** A new session id, valid for `ttlMs`. */
  create(): string {
    this.sweep();
    const id = randomToken(32);
    this.sessions.set(id, this.clock.now() + this.ttlMs);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    return id;
  }

  /** True while `id` is a live session. */
  valid(id: string): boolean {
    const expiresAt = this.sessions.get(id);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Ends the session (logout); ending an unknown one does nothing. */
  end(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(id);
  }
}
