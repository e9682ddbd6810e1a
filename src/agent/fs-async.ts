import {
  access as accessCb,
  close as closeCb,
  type Dirent,
  open as openCb,
  read as readCb,
  readdir as readdirCb,
  readFile as readFileCb,
  readlink as readlinkCb,
  realpath as realpathCb,
  type Stats,
  stat as statCb,
} from "node:fs";

/**
 * The promise versions of the file calls the agent makes, on `node:fs`'s callbacks, instead of
 * `node:fs/promises`: bare Node has loaded `node:fs` already, while `fs/promises` brings nine
 * more of Node's modules (in Node 24, for FileHandle's `readLines`, `watch` and `opendir`:
 * readline, the REPL's history, fs watchers, directory streams), about 0.9 MB resident in an
 * agent that never uses them (scripts/build-agent.ts). Same names, arguments, results and errors
 * (the `code` of an ENOENT, EACCES… included) as `node:fs/promises` for the forms the agent uses;
 * a lint rule (biome.json) keeps `node:fs/promises` out of src/agent and src/contract.
 */

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (done: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

export function readFile(path: string): Promise<Buffer>;
export function readFile(path: string, encoding: "utf8"): Promise<string>;
export function readFile(path: string, encoding?: "utf8"): Promise<Buffer | string> {
  return encoding
    ? call<string>((done) => readFileCb(path, encoding, done))
    : call<Buffer>((done) => readFileCb(path, done));
}

export function readdir(path: string): Promise<string[]>;
export function readdir(path: string, options: { withFileTypes: true }): Promise<Dirent[]>;
export function readdir(path: string, options?: { withFileTypes: true }): Promise<string[] | Dirent[]> {
  return options?.withFileTypes
    ? call<Dirent[]>((done) => readdirCb(path, { withFileTypes: true }, done))
    : call<string[]>((done) => readdirCb(path, done));
}

export const readlink = (path: string): Promise<string> => call<string>((done) => readlinkCb(path, done));

/** The system's realpath(3), as `fs/promises`' realpath (not `fs.realpath`'s JavaScript walk). */
export const realpath = (path: string): Promise<string> => call<string>((done) => realpathCb.native(path, done));

export const stat = (path: string): Promise<Stats> => call<Stats>((done) => statCb(path, done));

/** Reads up to `length` bytes of the open descriptor `fd` into `buffer` at `offset`, from `position` (null: the current one); the bytes read. */
export const readAt = (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number | null,
): Promise<number> => call<number>((done) => readCb(fd, buffer, offset, length, position, done));

/** Resolves when `path` is accessible in `mode` (default: exists); rejects with the errno otherwise. */
export const access = (path: string, mode?: number): Promise<void> =>
  call<void>((done) => accessCb(path, mode, (err) => done(err, undefined)));

/** The part of `fs/promises`' FileHandle the agent uses: positioned reads, then close. */
export interface FileHandle {
  readonly fd: number;
  /** Reads up to `length` bytes into `buffer` at `offset`, from `position` (null: the current position). */
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** Closes the file; later calls resolve at once. */
  close(): Promise<void>;
}

/** Opens `path` with `flags` (e.g. "r"); the caller closes the handle (there is no close on collection). */
export async function open(path: string, flags: string): Promise<FileHandle> {
  const fd = await call<number>((done) => openCb(path, flags, done));
  let closed: Promise<void> | undefined;
  return {
    fd,
    read: (buffer, offset, length, position) => {
      if (closed) return Promise.reject(Object.assign(new Error("EBADF: file closed, read"), { code: "EBADF" }));
      return readAt(fd, buffer, offset, length, position).then((bytesRead) => ({
        bytesRead,
        buffer,
      }));
    },
    close: () => {
      closed ??= call<void>((done) => closeCb(fd, (err) => done(err, undefined)));
      return closed;
    },
  };
}
