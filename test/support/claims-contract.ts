import { describe, expect, it } from "vitest";
import type { Claims } from "../../src/core/ports/claims.ts";
import type { Turns } from "../../src/core/ports/turns.ts";

/**
 * The contract of the two base ports (src/core/ports/claims.ts, turns.ts), run once against each
 * implementation: test/unit/claims-contract.test.ts (SQLite on Node, the in-memory store, the
 * in-process turns) and test/workers/claims-contract.test.ts (the directory Durable Object's
 * SQLite by RPC, the in-process turns inside workerd). No node: import here: it runs in workerd.
 */

/**
 * Now, so that a claim of these tests is never older than what another caller of a shared store
 * (the directory object) sweeps as expired at the real time; every moment below is relative to it.
 */
const T0 = Date.now();
const MIN = 60_000;

/** Each call gets a store of its own, or keys no other test used (a shared Durable Object). */
export function claimsContract(name: string, make: () => Claims | Promise<Claims>): void {
  let n = 0;
  /** A key no earlier test of this run claimed. */
  const fresh = (what: string) => `contract:${what}:${T0}:${++n}`;

  describe(`Claims contract: ${name}`, () => {
    it("gives a key once while its claim holds, and keeps keys apart", async () => {
      const claims = await make();
      const [a, b] = [fresh("a"), fresh("b")];
      expect(await claims.claim(a, T0, T0 + 10 * MIN)).toBe(true);
      expect(await claims.claim(a, T0 + 1, T0 + 20 * MIN)).toBe(false);
      expect(await claims.claim(a, T0 + 10 * MIN - 1, T0 + 20 * MIN)).toBe(false);
      expect(await claims.claim(b, T0 + 2, T0 + 10 * MIN)).toBe(true);
    });

    it("gives it again once its time is up, each claim with its own expiry", async () => {
      const claims = await make();
      const [short, long] = [fresh("short"), fresh("long")];
      expect(await claims.claim(short, T0, T0 + 5 * MIN)).toBe(true);
      expect(await claims.claim(long, T0, T0 + 7 * 24 * 60 * MIN)).toBe(true);
      // At its `until` the short claim is over; the long one still holds a day later.
      expect(await claims.claim(short, T0 + 5 * MIN, T0 + 10 * MIN)).toBe(true);
      expect(await claims.claim(short, T0 + 6 * MIN, T0 + 11 * MIN)).toBe(false);
      expect(await claims.claim(long, T0 + 24 * 60 * MIN, T0 + 8 * 24 * 60 * MIN)).toBe(false);
    });

    it("an expiry seconds away holds to the millisecond, whatever housekeeping ran meanwhile", async () => {
      const claims = await make();
      const key = fresh("seconds");
      expect(await claims.claim(key, T0, T0 + 2_000)).toBe(true);
      expect(await claims.claim(key, T0 + 1_999, T0 + 4_000)).toBe(false);
      expect(await claims.claim(key, T0 + 2_000, T0 + 4_000)).toBe(true);
      expect(await claims.claim(key, T0 + 3_999, T0 + 6_000)).toBe(false);
    });

    it("gives a key claimed at once by many to exactly one of them", async () => {
      const claims = await make();
      const key = fresh("race");
      const won = await Promise.all(Array.from({ length: 8 }, (_, i) => claims.claim(key, T0 + i, T0 + 10 * MIN)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await claims.claim(key, T0 + 9, T0 + 10 * MIN)).toBe(false);
    });

    it("a released claim can be taken again; a release of an earlier claim leaves a later one", async () => {
      const claims = await make();
      const key = fresh("release");
      expect(await claims.claim(key, T0, T0 + 10 * MIN)).toBe(true);
      await claims.release(key, T0 + 10 * MIN);
      expect(await claims.claim(key, T0 + 1, T0 + 11 * MIN)).toBe(true);
      // The first claim's work fails late: its release must not free the claim made since.
      await claims.release(key, T0 + 10 * MIN);
      expect(await claims.claim(key, T0 + 2, T0 + 12 * MIN)).toBe(false);
      // Releasing a key never claimed does nothing.
      await claims.release(fresh("never"), T0);
    });
  });
}

/** A promise resolved from outside, so a turn can be held open without a timer. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

/** Lets every promise callback queued so far run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

export function turnsContract(name: string, make: () => Turns): void {
  describe(`Turns contract: ${name}`, () => {
    it("runs tasks of one key one at a time, in the order asked, and other keys meanwhile", async () => {
      const turns = make();
      const log: string[] = [];
      const held = gate();
      const a1 = turns.inTurn("host-a", async () => {
        log.push("start a1");
        await held.opened;
        log.push("end a1");
        return "a1";
      });
      const a2 = turns.inTurn("host-a", async () => {
        log.push("start a2");
        return "a2";
      });
      const b1 = turns.inTurn("host-b", async () => {
        log.push("start b1");
        return "b1";
      });
      await b1;
      await settle();
      // a1 is still held open: b1 ran beside it, a2 waits behind it.
      expect(log).toEqual(["start a1", "start b1"]);
      held.open();
      expect(await Promise.all([a1, a2, b1])).toEqual(["a1", "a2", "b1"]);
      expect(log).toEqual(["start a1", "start b1", "end a1", "start a2"]);
    });

    it("a failed task fails its caller only; the next of its key still runs", async () => {
      const turns = make();
      const failed = turns.inTurn("host-a", async () => {
        throw new Error("the gateway closed the socket");
      });
      const next = turns.inTurn("host-a", async () => "ran");
      await expect(failed).rejects.toThrow("the gateway closed the socket");
      expect(await next).toBe("ran");
      expect(await turns.inTurn("host-a", async () => "and after")).toBe("and after");
    });

    it("a task asked for after the key went quiet starts at once", async () => {
      const turns = make();
      await turns.inTurn("host-a", async () => undefined);
      let ran = false;
      const later = turns.inTurn("host-a", async () => {
        ran = true;
      });
      await settle();
      expect(ran).toBe(true);
      await later;
    });
  });
}
