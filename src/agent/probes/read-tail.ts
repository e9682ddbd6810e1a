import { open, stat } from "../fs-async.ts";

/** What `readTail` read: the text, the file's size, and the byte offset the read began at (0: whole file). */
export type Tail = { text: string; size: number; start: number };

/**
 * The last `maxBytes` of a file, starting at a line boundary: when the read begins mid-file,
 * the partial first line is dropped (all of it when the window holds no line break).
 */
export async function readTail(path: string, maxBytes: number): Promise<Tail> {
  const size = (await stat(path)).size;
  const start = Math.max(0, size - maxBytes);
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    if (start === 0) return { text, size, start };
    const firstBreak = text.indexOf("\n");
    return { text: firstBreak === -1 ? "" : text.slice(firstBreak + 1), size, start };
  } finally {
    await handle.close();
  }
}
