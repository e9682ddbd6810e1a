import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";

/** The file log's size now: the offset a later waitForLogLine reads from. */
export async function logSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

/**
 * Waits until `file` gains a line matching `pattern` after `offset` bytes; that line. Each poll
 * reads only what was written since the last one (a lab's log grows through a run, to hundreds of
 * kilobytes, and a test waits on it four times a second).
 */
export async function waitForLogLine(
  file: string,
  pattern: RegExp,
  offset: number,
  timeoutMs: number,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  const decoder = new StringDecoder("utf8");
  let position = offset;
  // The last line read so far, still without its newline.
  let partial = "";
  while (Date.now() < end) {
    const chunk = await readFrom(file, position);
    position += chunk.length;
    const lines = (partial + decoder.write(chunk)).split("\n");
    partial = lines.pop() ?? "";
    const line = lines.find((l) => pattern.test(l)) ?? (pattern.test(partial) ? partial : undefined);
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms`);
}

/** What the file holds from `position` to its end. */
async function readFrom(file: string, position: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024), position });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}
