import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

/**
 * The agent's own log file, rotated by size, for hosts whose service manager keeps no log of its
 * own: launchd writes a job's stderr to a file it opens once per start and never rotates (the
 * plist, infra/launchd, sets CLAWOPS_AGENT_LOG_FILE instead). systemd has the journal; there the
 * agent logs to stderr as before.
 *
 * `path` → `path.1` → … → `path.<keep>` when `path` reaches `maxBytes`; the oldest is dropped.
 * Writes are synchronous: the agent logs a few lines per job, and a crash loses none.
 */
export const LOG_FILE_ENV = "CLAWOPS_AGENT_LOG_FILE";
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_FILE_KEEP = 3;

export type LogFileOptions = { maxBytes?: number; keep?: number; onError?: (err: unknown, line: string) => void };

export function rotatingFileWriter(path: string, options: LogFileOptions = {}): (line: string) => void {
  const maxBytes = options.maxBytes ?? LOG_FILE_MAX_BYTES;
  const keep = Math.max(1, options.keep ?? LOG_FILE_KEEP);
  const onError = options.onError ?? ((_err, line) => process.stderr.write(line));
  let fd: number | null = null;
  let size = 0;
  const open = (): number => {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const opened = openSync(path, "a", 0o600);
    size = fstatSync(opened).size;
    fd = opened;
    return opened;
  };
  const rotate = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // That generation does not exist yet.
      }
    }
    renameSync(path, `${path}.1`);
  };
  return (line: string) => {
    try {
      let out = fd ?? open();
      const bytes = Buffer.from(line);
      if (size > 0 && size + bytes.length > maxBytes) {
        rotate();
        out = open();
      }
      writeSync(out, bytes);
      size += bytes.length;
    } catch (err) {
      // A full disk or a removed folder must not stop the agent: the line goes to stderr.
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch {
          // Already closed.
        }
      }
      fd = null;
      onError(err, line);
    }
  };
}

/** The writer CLAWOPS_AGENT_LOG_FILE asks for (`~/` is the agent user's home), else stderr. */
export function agentLogWriter(env: Readonly<Record<string, string | undefined>>): (line: string) => void {
  const raw = env[LOG_FILE_ENV]?.trim();
  if (!raw) return (line) => process.stderr.write(line);
  const home = env.HOME?.trim() || homedir();
  const path = raw.startsWith("~/") ? join(home, raw.slice(2)) : isAbsolute(raw) ? raw : resolve(raw);
  return rotatingFileWriter(path);
}
