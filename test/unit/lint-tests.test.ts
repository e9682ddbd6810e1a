import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintTestSource, lintTests, TEST_RULES } from "../../scripts/lint-tests.ts";
import { ALLOWANCES } from "../../scripts/lint-tests-allowances.ts";

/**
 * The lint rule that keeps tests on the harness (`npm run lint:tests`, docs/testing.md "The
 * harness"): it flags a file that builds the wiring itself, naming what to use; it passes one
 * that goes through the harness; the allowances each carry a reason, none is stale, and there
 * are no more of them than today (the list only shrinks).
 */

/** Today's allowances: lower these when a file moves onto the harness, never raise them. */
const MOST_FILES_ALLOWED = 7;
const MOST_RULES_ALLOWED = 9;

const FILE = "test/unit/example.test.ts";
/** Test sources kept as text (the lint reads test/**\/*.test.ts, so these are not linted as the repository's own). */
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "lint-tests", name), "utf8");
const reachesPast = fixture("reaches-past.ts.txt");
const throughTheHarness = fixture("through-the-harness.ts.txt");

describe("lint:tests", () => {
  it("flags every way a file builds the wiring itself, each with the harness function to use", () => {
    const found = lintTestSource(FILE, reachesPast);
    expect(found.map((v) => v.rule).sort()).toEqual(TEST_RULES.map((r) => r.id).sort());
    const byRule = Object.fromEntries(found.map((v) => [v.rule, v]));
    expect(byRule["core-deps"]?.message).toMatch(
      /^test\/unit\/example\.test\.ts:5 builds CoreDeps by hand: use testDeps\(/,
    );
    expect(byRule.logger?.message).toContain("use quietLogger");
    expect(byRule.logger?.message).toContain("collectingLogger()");
    expect(byRule["control-plane"]?.message).toContain(
      "startNodePlane({ name, config }) from test/support/node-plane.ts",
    );
    expect(byRule["agent-hub"]?.message).toContain("SimAgents");
    expect(byRule["free-port"]?.message).toContain("freePort() from test/support/harness.ts");
    expect(byRule["slack-signature"]?.message).toContain("signSlack");
    expect(byRule["webcrypto-hmac"]?.message).toContain("hmacSha256Hex");
    expect(byRule["authz-file"]?.message).toContain("startSlackPlane({ authz");
    // CoreDeps cast from a partial literal is built by hand too.
    expect(lintTestSource(FILE, fixture("cast.ts.txt")).map((v) => v.rule)).toEqual(["core-deps"]);
  });

  it("passes a file that goes through the harness (comments, a derived CoreDeps, a kept server and an Ed25519 key included)", () => {
    expect(lintTestSource(FILE, throughTheHarness)).toEqual([]);
  });

  it("fails an unallowed file, passes it once allowed, and calls an allowance no longer needed stale", () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-lint-tests-"));
    dirs.push(root);
    mkdirSync(join(root, "test", "unit"), { recursive: true });
    mkdirSync(join(root, "test", "support"), { recursive: true });
    // Only the fixture's hand-written logger (its fourth line).
    writeFileSync(join(root, "test", "unit", "past.test.ts"), `${reachesPast.split("\n")[3]}\n`);
    writeFileSync(join(root, "test", "unit", "clean.test.ts"), throughTheHarness);
    // The harness itself builds the wiring: test/support is not linted.
    writeFileSync(join(root, "test", "support", "plane.test.ts"), reachesPast);

    const unallowed = lintTests(root, {});
    expect(unallowed.files).toBe(2);
    expect(unallowed.violations.map((v) => `${v.file} ${v.rule}`)).toEqual(["test/unit/past.test.ts logger"]);

    const allowed = lintTests(root, { "test/unit/past.test.ts": { rules: ["logger"], reason: "under test" } });
    expect(allowed).toMatchObject({ violations: [], stale: [] });

    const stale = lintTests(root, {
      "test/unit/clean.test.ts": { rules: ["logger"], reason: "once" },
      "test/unit/past.test.ts": { rules: ["logger", "no-such-rule"], reason: "under test" },
    });
    expect(stale.stale).toEqual([
      'test/unit/clean.test.ts: allowed "logger" but no longer breaks it: remove it from scripts/lint-tests-allowances.ts',
      expect.stringMatching(/^test\/unit\/past\.test\.ts: "no-such-rule" is no rule/),
    ]);
  });

  it("allows each file past with a reason, only for rules it breaks, and no more than today", () => {
    for (const [file, allowance] of Object.entries(ALLOWANCES)) {
      expect(allowance.reason, file).toMatch(/^(under test|not yet moved): \S.{20,}/);
      expect(allowance.rules.length, file).toBeGreaterThan(0);
    }
    expect(Object.keys(ALLOWANCES).length).toBeLessThanOrEqual(MOST_FILES_ALLOWED);
    expect(Object.values(ALLOWANCES).flatMap((a) => a.rules).length).toBeLessThanOrEqual(MOST_RULES_ALLOWED);
    const repo = lintTests(join(import.meta.dirname, "..", ".."));
    expect(repo.violations.map((v) => v.message)).toEqual([]);
    expect(repo.stale).toEqual([]);
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
