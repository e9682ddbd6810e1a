import { errorMessage } from "../../contract/errors.ts";
import { sanitize } from "./bundle-sanitize.ts";
import { errnoCode } from "./errors.ts";
import { readTail } from "./read-tail.ts";

/** The repro bundle's log read: the newest bytes over the candidate files, sanitized line by line. */

export type ReadLine = { text: string; binary: boolean };
export type LogRead = {
  lines: ReadLine[];
  sources: string[];
  notes: string[];
  errors: string[];
  /** The oldest lines of the oldest file were not read (size bound). */
  partialHead: boolean;
  binaryLines: number;
};

/** Reads the newest `maxBytes` over the candidate files, oldest file first. */
export async function readLogs(candidates: string[], maxBytes: number): Promise<LogRead> {
  const chunks: { path: string; text: string }[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  let remaining = maxBytes;
  let partialHead = false;
  for (const path of candidates) {
    if (remaining <= 0) {
      partialHead = true;
      notes.push(`${path} not read: the ${maxBytes} byte read bound was used up by newer logs`);
      break;
    }
    try {
      const { text, size, start } = await readTail(path, remaining);
      remaining -= size - start;
      if (start > 0) {
        partialHead = true;
        notes.push(`${path}: read the newest ${size - start} of ${size} bytes`);
      }
      chunks.unshift({ path, text });
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") errors.push(`${path}: ${errnoCode(err) ?? errorMessage(err)}`);
    }
  }
  let binaryLines = 0;
  const lines: ReadLine[] = [];
  for (const chunk of chunks) {
    for (const raw of chunk.text.split("\n")) {
      if (raw === "") continue;
      const s = sanitize(raw);
      binaryLines += s.binaryLines;
      lines.push({ text: s.text, binary: s.binaryLines > 0 });
    }
  }
  if (binaryLines > 0) notes.push(`${binaryLines} log line(s) held binary data and were replaced by a marker`);
  return { lines, sources: chunks.map((c) => c.path), notes, errors, partialHead, binaryLines };
}
