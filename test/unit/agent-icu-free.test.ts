import { describe, expect, it } from "vitest";
import { compareCodeUnits, isoTime } from "../../src/agent/icu-free.ts";

/**
 * The agent's replacements for calls that load ICU data (src/agent/icu-free.ts) answer as the
 * calls they replace: `Date.prototype.toISOString` and the default `sort()` order. The built-ins
 * are the reference here (the test process may load ICU; the agent does not).
 */
const MAX = 8.64e15;

describe("isoTime", () => {
  it("formats every kind of date as toISOString does", () => {
    const times = [
      0,
      -1,
      1,
      Date.UTC(2026, 10, 24, 14, 21, 18, 7),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(0, 0, 1) - 1, // year -1
      Date.UTC(-1, 0, 1),
      MAX,
      -MAX,
      1.5, // fractions of a millisecond are cut, as the Date constructor cuts them
      -0.5,
    ];
    // Plus a spread of random times over the whole range a Date holds.
    let seed = 17;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      times.push(Math.round(((seed / 2 ** 31) * 2 - 1) * MAX));
    }
    for (const t of times) {
      expect(isoTime(t), String(t)).toBe(new Date(t).toISOString());
      expect(isoTime(new Date(t)), String(t)).toBe(new Date(t).toISOString());
    }
  });

  it("is the current time by default", () => {
    const before = Date.now();
    const at = Date.parse(isoTime());
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it("throws the RangeError toISOString throws for an invalid date", () => {
    for (const bad of [Number.NaN, MAX + 1, new Date("not a date")]) {
      expect(() => new Date(bad).toISOString()).toThrow(RangeError);
      expect(() => isoTime(bad)).toThrow(RangeError);
    }
  });
});

describe("compareCodeUnits", () => {
  it("orders as sort() without a comparator does, names and ISO times alike", () => {
    const names = [
      "gateway.log",
      "Gateway.log",
      "config.json",
      "config.json.bak.1",
      "config.json.bak.10",
      "config.json.bak.2",
      "env.txt",
      "OPENCLAW_GATEWAY_TOKEN",
      "OPENCLAW_CONFIG_PATH",
      "_underscore",
      "ünïcode.txt",
      "",
      "2026-11-24T10:00:00.000Z",
      "2026-11-24T09:59:59.999Z",
      "2026-11-24T10:00:00.000Z",
    ];
    expect([...names].sort(compareCodeUnits)).toEqual([...names].sort());
    expect(compareCodeUnits("a", "a")).toBe(0);
    expect(compareCodeUnits("a", "b")).toBeLessThan(0);
    expect(compareCodeUnits("b", "a")).toBeGreaterThan(0);
  });
});
