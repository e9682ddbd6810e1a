import { constants } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { access, open, readdir, readFile, readlink, realpath, stat } from "../../src/agent/fs-async.ts";
import { readTail } from "../../src/agent/probes/read-tail.ts";

/**
 * The agent's file calls on `node:fs` callbacks (src/agent/fs-async.ts) answer as
 * `node:fs/promises` does, on real files: same results, same error codes. `node:fs/promises` is
 * the reference here (the test process may load it; the agent does not).
 */
let dir: string;
const TEXT = "line one\nline two — ü\nline three\n";

beforeAll(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "clawops-fs-async-"));
  await fsp.writeFile(join(dir, "a.txt"), TEXT);
  await fsp.mkdir(join(dir, "sub"));
  await fsp.symlink(join(dir, "a.txt"), join(dir, "link"));
  await fsp.symlink(join(dir, "sub"), join(dir, "sub-link"));
});

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** What a caller sees of a rejection: the errno fields the probes read. */
async function failure(p: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = (await p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  )) as NodeJS.ErrnoException;
  expect(err).toBeInstanceOf(Error);
  return { code: err.code, errno: err.errno, syscall: err.syscall, path: err.path };
}

describe("fs-async", () => {
  it("readFile gives the same text (utf8) and bytes (no encoding) as fs/promises", async () => {
    const path = join(dir, "a.txt");
    expect(await readFile(path, "utf8")).toBe(TEXT);
    const bytes = await readFile(path);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.equals(await fsp.readFile(path))).toBe(true);
  });

  it("a missing file rejects with the same ENOENT as fs/promises, for every call", async () => {
    const missing = join(dir, "nope");
    const expected = await failure(fsp.readFile(missing, "utf8"));
    expect(expected.code).toBe("ENOENT");
    expect(await failure(readFile(missing, "utf8"))).toEqual(expected);
    expect(await failure(readFile(missing))).toEqual(await failure(fsp.readFile(missing)));
    expect(await failure(stat(missing))).toEqual(await failure(fsp.stat(missing)));
    expect(await failure(readdir(missing))).toEqual(await failure(fsp.readdir(missing)));
    expect(await failure(readlink(missing))).toEqual(await failure(fsp.readlink(missing)));
    expect(await failure(realpath(missing))).toEqual(await failure(fsp.realpath(missing)));
    expect(await failure(access(missing))).toEqual(await failure(fsp.access(missing)));
    expect(await failure(open(missing, "r"))).toEqual(await failure(fsp.open(missing, "r")));
  });

  it("readdir lists names, and with withFileTypes entries that tell a directory from a file and a link", async () => {
    expect((await readdir(dir)).sort()).toEqual((await fsp.readdir(dir)).sort());
    const entries = await readdir(dir, { withFileTypes: true });
    const kinds = Object.fromEntries(
      entries.map((e) => [e.name, e.isDirectory() ? "dir" : e.isSymbolicLink() ? "link" : e.isFile() ? "file" : "?"]),
    );
    expect(kinds).toEqual({ "a.txt": "file", sub: "dir", link: "link", "sub-link": "link" });
    expect(entries.every((e) => e.parentPath === dir)).toBe(true);
  });

  it("readlink and realpath resolve links as fs/promises does", async () => {
    expect(await readlink(join(dir, "link"))).toBe(join(dir, "a.txt"));
    const real = await realpath(join(dir, "sub-link"));
    expect(real).toBe(await fsp.realpath(join(dir, "sub-link")));
    expect(real.endsWith("/sub")).toBe(true);
  });

  it("stat gives size, kind and mtime", async () => {
    const s = await stat(join(dir, "a.txt"));
    const ref = await fsp.stat(join(dir, "a.txt"));
    expect(s.size).toBe(Buffer.byteLength(TEXT));
    expect(s.isFile()).toBe(true);
    expect(s.mtime.toISOString()).toBe(ref.mtime.toISOString());
    expect((await stat(join(dir, "sub-link"))).isDirectory()).toBe(true);
  });

  it("access resolves for an existing path in the asked mode and rejects with the errno otherwise", async () => {
    await expect(access(dir)).resolves.toBeUndefined();
    await expect(access(dir, constants.W_OK | constants.X_OK)).resolves.toBeUndefined();
    expect(await failure(access(join(dir, "a.txt", "x"), constants.R_OK))).toEqual(
      await failure(fsp.access(join(dir, "a.txt", "x"), constants.R_OK)),
    );
  });

  it("open reads a byte range at a position, then from the current position; close is final", async () => {
    const path = join(dir, "a.txt");
    const handle = await open(path, "r");
    const buf = Buffer.alloc(8);
    const first = await handle.read(buf, 0, 8, 5);
    expect(first.bytesRead).toBe(8);
    expect(first.buffer).toBe(buf);
    expect(buf.toString("utf8")).toBe(TEXT.slice(5, 13));
    // position null: from the file's current position (the start: positioned reads do not move it)
    const seq = Buffer.alloc(4);
    expect((await handle.read(seq, 0, 4, null)).bytesRead).toBe(4);
    expect((await handle.read(seq, 2, 2, null)).bytesRead).toBe(2);
    expect(seq.toString("utf8")).toBe("li o"); // "line", then " o" over its last two bytes
    const ref = await fsp.open(path, "r");
    const refSeq = Buffer.alloc(4);
    await ref.read(Buffer.alloc(8), 0, 8, 5);
    await ref.read(refSeq, 0, 4, null);
    await ref.read(refSeq, 2, 2, null);
    await ref.close();
    expect(seq.equals(refSeq)).toBe(true);
    // past the end: 0 bytes, as fs/promises
    expect((await handle.read(Buffer.alloc(4), 0, 4, 10_000)).bytesRead).toBe(0);
    await handle.close();
    await expect(handle.close()).resolves.toBeUndefined();
    expect((await failure(handle.read(Buffer.alloc(1), 0, 1, 0))).code).toBe("EBADF");
  });

  it("readTail on it: the last bytes from a line boundary, and the whole file when it fits", async () => {
    const path = join(dir, "a.txt");
    const size = Buffer.byteLength(TEXT);
    expect(await readTail(path, 1_000)).toEqual({ text: TEXT, size, start: 0 });
    expect(await readTail(path, 14)).toEqual({ text: "line three\n", size, start: size - 14 });
  });
});
