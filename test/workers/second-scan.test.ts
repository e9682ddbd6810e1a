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
    expect([...kinds]).toEqual(expect.arrayContaining(["rule-slack", "rule-stripe", "url-credentials"]));
  });

  it("flags an AWS secret key whatever its last character: secretlint's rule, or clawops' own where that rule stops", async () => {
    // secretlint's AWS secret rule ends its match with \b, so a key whose last character is "/"
    // or "+" (1 in 32 of random keys: real ones too) is not its find. It is still flagged, by
    // clawops' own secret-assignment rule. The corpus's key is random, so each ending is built here.
    const planted = plantCorpus().find((p) => p.source === "log" && p.kind === "aws-secret-access-key");
    const key = planted?.value ?? "";
    expect(key).toHaveLength(40);
    const kindsFor = async (last: string) => {
      const line = `aws_secret_access_key = ${key.slice(0, 39)}${last}`;
      return (await secondScan([{ where: "log", text: line }])).hits.map((h) => h.kind);
    };
    expect(await kindsFor("Q")).toContain("rule-aws");
    for (const last of ["/", "+"]) expect(await kindsFor(last), `a key ending in ${last}`).not.toEqual([]);
  });

  it("passes a redacted file", async () => {
    const scan = await secondScan([{ where: "env.txt", text: "AWS_SECRET_ACCESS_KEY=[REDACTED:secret-pair]\n" }]);
    expect(scan).toMatchObject({ hits: [], scanned: 1 });
  });
});
