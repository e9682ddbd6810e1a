import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { LogSignaturesData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { errnoCode } from "./errors.ts";
import { attributeLog } from "./log-attribution.ts";
import { scanLogText } from "./log-signatures.ts";
import type { Probe } from "./probe.ts";
import { readTail } from "./read-tail.ts";

const DEFAULT_MAX_BYTES = 256 * 1024;
/** OpenClaw's default rolling file log (GATEWAY-FACTS §1), one file per day. */
const DEFAULT_LOG_DIR = "/tmp/openclaw";

/**
 * Signature lines in the tail of the gateway's file log: `logging.file` from the config, else
 * today's and yesterday's `/tmp/openclaw/openclaw-YYYY-MM-DD.log`. Some faults show only here
 * (a failed hot reload while /readyz stays 200, GATEWAY-FACTS §7). A missing file is data; a
 * file that is there and cannot be read (`logging.file` a directory: EISDIR) is named in `unreadable`.
 */
export const probeLogSignatures: Probe<"logs.signatures"> = async (ctx, args, run) => {
  const [config, secrets] = await Promise.all([run.readings.config(), run.readings.knownSecrets()]);
  const now = new Date();
  const candidates = logCandidates(config.logFile, ctx.env.HOME ?? homedir(), now);
  const maxBytes = args.maxBytes ?? DEFAULT_MAX_BYTES;
  const data: LogSignaturesData = {
    found: false,
    path: null,
    tried: candidates,
    bytesRead: 0,
    linesScanned: 0,
    linesSkipped: 0,
    signatures: [],
    readAt: isoTime(now),
  };
  let modifiedMs = 0;
  // Oldest first, so the scan sees lines in time order; a fresh day's file may be nearly empty.
  const chunks: string[] = [];
  const errors: string[] = [];
  const unreadable: { path: string; code: string }[] = [];
  for (const path of candidates) {
    if (data.bytesRead >= maxBytes) break;
    try {
      const { text } = await readTail(path, maxBytes - data.bytesRead);
      modifiedMs = Math.max(modifiedMs, (await stat(path)).mtimeMs);
      data.found = true;
      data.path ??= path;
      data.bytesRead += Buffer.byteLength(text);
      chunks.unshift(text);
    } catch (err) {
      const code = errnoCode(err);
      // A path that is there but cannot be read (a directory, another user's file) is not "no log":
      // the classifier says which checks went blind (issue 46).
      if (code !== "ENOENT") {
        errors.push(`${path}: ${code ?? errorMessage(err)}`);
        unreadable.push({ path, code: code ?? errorMessage(err).slice(0, 80) });
      }
    }
    if (run.signal.aborted) break;
  }
  if (errors.length > 0) data.error = errors.join("; ").slice(0, 500);
  if (unreadable.length > 0) data.unreadable = unreadable;
  if (modifiedMs > 0) data.modifiedAt = isoTime(new Date(modifiedMs));
  if (!data.found) return data;
  const text = chunks.join("\n");
  const scan = scanLogText(text, secrets);
  const attribution = await attributeLog(text, config.logFile !== null, config.path, ctx.procRoot, run.readings);
  return { ...data, ...scan, attribution };
};

/**
 * The configured file, or the default daily files of the last days. OpenClaw 2026.9.6
 * (dist/logger-*.mjs) names a daily file by the gateway's local date (`formatLocalDate`), and a
 * configured `openclaw-YYYY-MM-DD.log` (or `openclaw-<a date>.log`) rolls daily too, in its own
 * folder. The agent does not ask for its local zone (that loads ICU's zone tables: icu-free.ts),
 * and the gateway's may differ anyway: a local date is at most a day from the UTC one, so the UTC
 * days tomorrow, today and yesterday are tried, newest first. Reading only a day the gateway has
 * left would quote old lines as today's.
 */
export function logCandidates(configured: string | null, home: string, now: Date): string[] {
  const day = (offsetDays: number) => isoTime(new Date(now.getTime() + offsetDays * 24 * 60 * 60 * 1000)).slice(0, 10);
  const daily = (dir: string) => [1, 0, -1].map((offset) => join(dir, `openclaw-${day(offset)}.log`));
  if (configured) {
    const path =
      configured === "~" || configured.startsWith("~/")
        ? join(home, configured.slice(2))
        : isAbsolute(configured)
          ? configured
          : resolve(configured);
    return ROLLS_DAILY.test(basename(path)) ? daily(dirname(path)) : [path];
  }
  return daily(DEFAULT_LOG_DIR);
}

/** The first candidate that is there (the newest day's file), or null. */
export async function firstLogFile(candidates: readonly string[]): Promise<string | null> {
  for (const path of candidates) {
    try {
      if ((await stat(path)).isFile()) return path;
    } catch {
      // not there: the next day's
    }
  }
  return null;
}

/** OpenClaw's `isLegacyRollingLogFilePath`: a configured file of this name is advanced to each day. */
const ROLLS_DAILY = /^openclaw-(?:YYYY-MM-DD|\d{4}-\d{2}-\d{2})\.log$/;
