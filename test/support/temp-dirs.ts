import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Temporary folders the test support makes for the processes it starts (an agent's state folder,
 * a control plane's data folder), removed when the test file that made them ends: the setup file
 * `remove-temp-dirs.ts`, which every Node project runs, removes them after the file's own
 * `afterAll` hooks (which stop those processes). A folder a test passes in is the test's to remove.
 */
const made = new Set<string>();

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export function removeMadeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}
