/**
 * What names a failure in a test suite's output, for the summary `npm test` prints at its end
 * (scripts/run-suites.ts).
 */
/** How many of a failed suite's failure lines the summary repeats. */
const FAILURE_LINES_KEPT = 40;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes are what it strips
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Picks out what names a failure from a suite's output, so that the summary at the end names the
 * failed test and its first error line: a long run's failure is otherwise thousands of lines up,
 * out of a CI log's tail. Vitest's "FAIL  file > test" headers, the error line after each and its
 * first source location (`❯ file:line:col`), `×` test lines, unhandled errors, and tsc's errors.
 */
export function failureCollector(): { see: (line: string) => void; readonly lines: string[] } {
  const lines: string[] = [];
  let afterFail: "message" | "location" | null = null;
  // A header seen twice (vitest's list and its failure section) is kept once; an error message
  // repeats across failures and is kept under each.
  const keep = (line: string, once = true) => {
    if (lines.length < FAILURE_LINES_KEPT && !(once && lines.includes(line))) lines.push(line);
  };
  return {
    /** The lines kept; a suite's `×` test lines only when no `FAIL` header named the file. */
    get lines() {
      return lines.some((l) => l.startsWith("FAIL")) ? lines.filter((l) => !/^[×✗]\s/.test(l)) : lines;
    },
    see(raw) {
      const line = raw.replace(ANSI, "").trimEnd();
      const text = line.trim();
      if (
        /^FAIL\s/.test(text) ||
        /^[×✗]\s/.test(text) ||
        /error TS\d+:/.test(text) ||
        /Unhandled (Error|Rejection)/.test(text)
      ) {
        keep(text.replace(/\s+/g, " "));
        if (text.startsWith("FAIL")) afterFail = "message";
        return;
      }
      if (afterFail === "message" && text !== "") {
        keep(`  ${text}`, false);
        afterFail = "location";
      } else if (afterFail === "location" && /^❯ .+:\d+:\d+/.test(text)) {
        keep(`  ${text}`, false);
        afterFail = null;
      } else if (afterFail === "location" && text.startsWith("⎯")) {
        afterFail = null;
      }
    },
  };
}
