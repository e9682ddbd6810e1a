import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import { afterAll, expect } from "vitest";
import { PAIR_DONE_FILE_ENV, PAIR_FILES } from "./sequencer.ts";

// A setup file of the `gateway` project, the first one: its `afterAll` runs after every other
// (vitest runs them in reverse order), once the file and file-end-setup.ts have stopped what they
// started. A file of PAIR_FILES then writes its name where scripts/run-suites.ts looks for it: the
// other gateway lane starts once both are there, so the pair's second gateway is gone by then.
afterAll(() => {
  const marker = process.env[PAIR_DONE_FILE_ENV];
  const path = expect.getState().testPath;
  if (!marker || !path) return;
  const name = relative(process.cwd(), path);
  if (PAIR_FILES.includes(name)) appendFileSync(marker, `${name}\n`);
});
