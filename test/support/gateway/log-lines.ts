import { readFile } from "node:fs/promises";

/** The file log's size now: the offset a later waitForLogLine reads from. */
export async function logSize(file: string): Promise<number> {
  return (await readFile(file)).length;
}

/** Waits until `file` gains a line matching `pattern` after `offset` bytes; that line. */
export async function waitForLogLine(
  file: string,
  pattern: RegExp,
  offset: number,
  timeoutMs: number,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const text = (await readFile(file)).subarray(offset).toString("utf8");
    const line = text.split("\n").find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms`);
}
