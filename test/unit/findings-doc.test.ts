import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINDINGS_DOC, REGENERATE, renderFindingsDoc } from "../../scripts/gen-findings.ts";
import { RULES } from "../../src/core/classify/rules.ts";

/** docs/findings.md is generated from the rule catalog and the tests; it must match both. */
describe("docs/findings.md", () => {
  const want = renderFindingsDoc();

  it("is what the generator writes today", () => {
    let have = "";
    try {
      have = readFileSync(new URL(`../../${FINDINGS_DOC}`, import.meta.url), "utf8");
    } catch {
      // missing: fails below with the same advice
    }
    if (have !== want) {
      expect.fail(`${FINDINGS_DOC} is out of date with the rule catalog or the tests. Regenerate it: ${REGENERATE}`);
    }
  });

  it("has one row per rule, in catalog order", () => {
    const rows = want.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.map((r) => r.split("`")[1])).toEqual(RULES.map((r) => r.id));
  });

  it("is the same on every run", () => {
    expect(renderFindingsDoc()).toBe(want);
  });
});
