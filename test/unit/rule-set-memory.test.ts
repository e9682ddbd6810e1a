import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { redactWithRuleSet } from "../../src/agent/probes/redact-rule-set.ts";
import { findWithRuleSet } from "../../src/contract/secret-rules.ts";

/**
 * The agent passes every step result through secretlint's rules, every 30 s under the watch
 * (docs/benchmarks.md, "Agent memory and the watch's CPU").
 */
describe("secretlint's rules, run again and again", () => {
  // A Stripe live key's shape (random, made here): a rule-set finding, not one of redact.ts's patterns.
  const secret = `sk_live_${Array.from({ length: 99 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)]).join("")}`;
  const withSecret = `billing plugin: stripe ${secret}`;

  it("leave nothing behind in the performance timeline", async () => {
    performance.clearMarks();
    performance.clearMeasures();
    for (let i = 0; i < 20; i++) await findWithRuleSet(`a line of a gateway log, number ${i}, with nothing secret`);
    await new Promise((r) => setTimeout(r, 10));
    expect(performance.getEntriesByType("mark")).toEqual([]);
    expect(performance.getEntriesByType("measure")).toEqual([]);
  });

  it("redact a secret every time it is seen, while a clean string seen before comes back unchanged", async () => {
    for (let i = 0; i < 3; i++) {
      const { text, counts } = await redactWithRuleSet(withSecret);
      expect(text).not.toContain(secret);
      expect(counts.get("rule-stripe")).toBe(1);
      const clean = await redactWithRuleSet("/usr/bin/node /opt/openclaw/dist/index.js gateway --port 18789");
      expect(clean).toEqual({
        text: "/usr/bin/node /opt/openclaw/dist/index.js gateway --port 18789",
        counts: new Map(),
      });
    }
  });
});
