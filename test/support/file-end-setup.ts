import { afterAll } from "vitest";
import { endOfFile } from "./file-end.ts";

// A setup file: registered before the test file's own hooks, so it runs after them (vitest runs
// `afterAll` hooks in reverse order), once the file has stopped what it started.
afterAll(() => endOfFile());
