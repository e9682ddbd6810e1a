import { describe, expect, it } from "vitest";
import { secondScan } from "../../src/core/bundles/second-scan.ts";
import { KINDS, plantCorpus } from "../support/secret-corpus.ts";

/**
 * The second scan runs where the control plane runs: here inside workerd (no nodejs_compat),
 * secretlint's rules included. Issue 15, item 3.
 */
describe("second scan in workerd", () => {
  it("flags every planted kind in its log form, rule set and clawops rules both live", async () => {
    const planted = plantCorpus().filter((p) => p.source === "log");
    expect(planted).toHaveLength(KINDS.length);
    const missed: string[] = [];
    const kinds = new Set<string>();
    for (const p of planted) {
      const scan = await secondScan([{ where: "log", text: p.line }]);
      if (scan.hits.length === 0) missed.push(p.kind);
      for (const h of scan.hits) kinds.add(h.kind);
    }
    expect(missed).toEqual([]);
    expect([...kinds]).toEqual(expect.arrayContaining(["rule-aws", "rule-slack", "rule-stripe", "url-credentials"]));
  });

  it("passes a redacted file", async () => {
    const scan = await secondScan([{ where: "env.txt", text: "AWS_SECRET_ACCESS_KEY=[REDACTED:secret-pair]\n" }]);
    expect(scan).toMatchObject({ hits: [], scanned: 1 });
  });
});
