import { describe, expect, it } from "vitest";
import { failureCollector } from "../../scripts/failure-lines.ts";

/**
 * `npm test`'s summary repeats what names each failure (scripts/run-suites.ts), so that a CI log's
 * tail says which test failed and where. VITEST_FAILURE is vitest 4's own piped output (colours
 * and all) for a file with one failing and one passing test.
 */
const VITEST_FAILURE =
  '\n\u001b[1m\u001b[30m\u001b[46m RUN \u001b[49m\u001b[39m\u001b[22m \u001b[36mv4.1.12 \u001b[39m\u001b[90m/work/main\u001b[39m\n\n \u001b[31m\u276f\u001b[39m \u001b[30m\u001b[42m unit \u001b[49m\u001b[39m test/unit/zz-fail.test.ts \u001b[2m(\u001b[22m\u001b[2m2 tests\u001b[22m\u001b[2m | \u001b[22m\u001b[31m1 failed\u001b[39m\u001b[2m)\u001b[22m\u001b[32m 6\u001b[2mms\u001b[22m\u001b[39m\n\u001b[31m     \u001b[31m\u00d7\u001b[31m fails on purpose\u001b[39m\u001b[32m 4\u001b[2mms\u001b[22m\u001b[39m\n     \u001b[32m\u2713\u001b[39m passes\u001b[32m 0\u001b[2mms\u001b[22m\u001b[39m\n\n\u001b[31m\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u001b[39m\u001b[1m\u001b[41m Failed Tests 1 \u001b[49m\u001b[22m\u001b[31m\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u001b[39m\n\n\u001b[41m\u001b[1m FAIL \u001b[22m\u001b[49m \u001b[30m\u001b[42m unit \u001b[49m\u001b[39m test/unit/zz-fail.test.ts\u001b[2m > \u001b[22ma group\u001b[2m > \u001b[22mfails on purpose\n\u001b[31m\u001b[1mAssertionError\u001b[22m: expected 2 to be 3 // Object.is equality\u001b[39m\n\n\u001b[32m- Expected\u001b[39m\n\u001b[31m+ Received\u001b[39m\n\n\u001b[32m- 3\u001b[39m\n\u001b[31m+ 2\u001b[39m\n\n\u001b[36m \u001b[2m\u276f\u001b[22m test/unit/zz-fail.test.ts:\u001b[2m4:19\u001b[22m\u001b[39m\n    \u001b[90m  2|\u001b[39m \u001b[34mdescribe\u001b[39m(\u001b[32m"a group"\u001b[39m\u001b[33m,\u001b[39m () \u001b[33m=>\u001b[39m {\n    \u001b[90m  3|\u001b[39m   \u001b[34mit\u001b[39m(\u001b[32m"fails on purpose"\u001b[39m\u001b[33m,\u001b[39m () \u001b[33m=>\u001b[39m {\n    \u001b[90m  4|\u001b[39m     \u001b[34mexpect\u001b[39m(\u001b[34m1\u001b[39m \u001b[33m+\u001b[39m \u001b[34m1\u001b[39m)\u001b[33m.\u001b[39m\u001b[34mtoBe\u001b[39m(\u001b[34m3\u001b[39m)\u001b[33m;\u001b[39m\n    \u001b[90m   |\u001b[39m                   \u001b[31m^\u001b[39m\n    \u001b[90m  5|\u001b[39m   })\u001b[33m;\u001b[39m\n    \u001b[90m  6|\u001b[39m   \u001b[34mit\u001b[39m(\u001b[32m"passes"\u001b[39m\u001b[33m,\u001b[39m () \u001b[33m=>\u001b[39m {\n\n\u001b[31m\u001b[2m\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af\u23af[1/1]\u23af\u001b[22m\u001b[39m\n\n\n\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[90m (1)\u001b[39m\n\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m1 passed\u001b[39m\u001b[22m\u001b[90m (2)\u001b[39m\n\u001b[2m   Start at \u001b[22m 16:06:42\n\u001b[2m   Duration \u001b[22m 125ms\u001b[2m (transform 18ms, setup 0ms, import 25ms, tests 6ms, environment 0ms)\u001b[22m\n\n';

function collect(output: string): string[] {
  const collector = failureCollector();
  for (const line of output.split("\n")) collector.see(line);
  return collector.lines;
}

describe("the failure lines npm test repeats at its end", () => {
  it("names vitest's failed test, its error and its line, once each, without colour codes", () => {
    expect(collect(VITEST_FAILURE)).toEqual([
      "FAIL unit test/unit/zz-fail.test.ts > a group > fails on purpose",
      "  AssertionError: expected 2 to be 3 // Object.is equality",
      "  ❯ test/unit/zz-fail.test.ts:4:19",
    ]);
  });

  it("keeps each failure's error under it, the same message twice included", () => {
    const two = [
      " FAIL  unit  test/a.test.ts > one",
      "AssertionError: expected false to be true",
      " ❯ test/a.test.ts:10:5",
      " FAIL  unit  test/b.test.ts > two",
      "AssertionError: expected false to be true",
      " ❯ test/b.test.ts:20:7",
    ].join("\n");
    expect(collect(two)).toEqual([
      "FAIL unit test/a.test.ts > one",
      "  AssertionError: expected false to be true",
      "  ❯ test/a.test.ts:10:5",
      "FAIL unit test/b.test.ts > two",
      "  AssertionError: expected false to be true",
      "  ❯ test/b.test.ts:20:7",
    ]);
  });

  it("names the failed tests from vitest's list when no failure section was printed, and tsc's errors", () => {
    expect(collect("   ✓ passes 3ms\n   × hangs past its bound 40012ms\n")).toEqual(["× hangs past its bound 40012ms"]);
    expect(collect("src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.")).toEqual([
      "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
  });

  it("a passing run's output names nothing", () => {
    expect(collect(" ✓  unit  test/unit/a.test.ts (3 tests) 20ms\n Test Files  1 passed (1)\n")).toEqual([]);
  });
});
