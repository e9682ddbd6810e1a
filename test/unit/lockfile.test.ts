import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, LockEntry>;
};

/** Where Node's resolution finds `dep` from the package at `from` (a lockfile key). */
function resolveFrom(from: string, dep: string): LockEntry | undefined {
  let base = from;
  for (;;) {
    const hit = lock.packages[`${base ? `${base}/` : ""}node_modules/${dep}`];
    if (hit || !base) return hit;
    const i = base.lastIndexOf("/node_modules/");
    base = i < 0 ? "" : base.slice(0, i);
  }
}

/**
 * `npm ci` refuses a lockfile that lacks an entry for any platform's optional binary
 * ("Missing: @biomejs/cli-darwin-arm64@ from lock file"), even when this platform would
 * skip it. npm leaves out an optional package its registry does not serve, so a lockfile
 * regenerated against a partial mirror breaks `npm ci` everywhere.
 */
describe("package-lock.json", () => {
  it("has an entry for every optional dependency of every package (npm ci needs all platforms)", () => {
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(lock.packages)) {
      for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
        if (!resolveFrom(key, dep)) missing.push(`${key || "(root)"} → ${dep}@${range}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
