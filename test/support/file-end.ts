import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * What the test support makes for one test file and takes back when that file ends: the setup
 * file `file-end-setup.ts`, which every Node project runs, calls `endOfFile()` after the file's own
 * `afterAll` hooks. A test stops what it starts; this is the backstop for a test that failed or
 * timed out before its `finally`, so that nothing outlives its file (on a loaded CI box a control
 * plane whose start timed out used to run on in the worker for the rest of the suite).
 */
const dirs = new Set<string>();
const children = new Set<ChildProcess>();

/** A temporary folder for a process the support starts (an agent's state, a control plane's
 *  data): removed when the file ends. A folder a test passes in is the test's to remove. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** A process the support started: SIGKILLed when the file ends if it still runs. */
export function endWithFile<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Kills what still runs, then removes the folders (a process is gone before its folder). */
export async function endOfFile(): Promise<void> {
  const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          if (!child.kill("SIGKILL")) resolve();
        }),
    ),
  );
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}
