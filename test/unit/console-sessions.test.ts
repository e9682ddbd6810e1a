import { describe, expect, it } from "vitest";
import { CONSOLE_SESSION_TTL_MS, ConsoleSessions } from "../../src/adapters/http/console-sessions.ts";

/** Issue 32, item 3: a console session lives 12 h at most and ends at logout. */
describe("console sessions", () => {
  it("are random, expire after their lifetime and end at logout", () => {
    let now = 1_800_000_000_000;
    const sessions = new ConsoleSessions({ now: () => now });
    const { id: a, key: aKey } = sessions.create();
    const { id: b } = sessions.create();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Issue 44, item 4: the key the page sends beside the cookie is random too, and is the session's own.
    expect(aKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(aKey).not.toBe(a);
    expect(sessions.matches(a, aKey)).toBe(true);
    expect(sessions.matches(a, "")).toBe(false);
    expect(sessions.matches(b, aKey)).toBe(false);
    expect(sessions.valid(a)).toBe(true);
    expect(sessions.valid("not-a-session")).toBe(false);
    sessions.end(b);
    expect(sessions.valid(b)).toBe(false);
    now += CONSOLE_SESSION_TTL_MS - 1;
    expect(sessions.valid(a)).toBe(true);
    now += 1;
    expect(sessions.valid(a)).toBe(false);
    expect(sessions.matches(a, aKey)).toBe(false);
  });
});
