import { statfs as statfsCb } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { StateDatabase, StateFilesData, StorageVolume } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { open, readdir, readFile, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { clobberedChanges } from "./config-keys.ts";
import { errnoCode } from "./errors.ts";
import { PluginVersionsCarry, readPluginVersions } from "./plugin-versions.ts";
import type { Probe } from "./probe.ts";
import { type FreeSample, forecastFree } from "./storage-forecast.ts";

/**
 * The gateway's state on disk (issue 30, classes 10, 11, 13). Quick (the watch, every probe):
 * statfs of the folders holding the state and the file log, with the forecast from the samples
 * the watch leaves behind, and the first 100 bytes of each SQLite file. Full (a triage): also
 * SQLite files the gateway maps after they were deleted, the log folder's size, archived
 * transcripts and session databases, and configs the gateway restored behind the operator's
 * back. The databases are never opened as databases: a reader that takes a lock on a live
 * gateway's SQLite can itself cause `database is locked`.
 */
export const probeStateFiles: Probe<"state.files"> = async (ctx, args, run) => {
  const config = await run.readings.config();
  const logDir = config.logFile ? dirname(config.logFile) : DEFAULT_LOG_DIR;
  const [volumes, databases, plugins] = await Promise.all([
    readVolumes([
      { path: ctx.stateDir, holds: "state" },
      { path: logDir, holds: "logs" },
    ]),
    readDatabases(ctx.stateDir),
    // The watch's reading is carried while the manifests are unchanged; a triage reads them anew.
    args.quick ? PLUGINS.read(ctx.stateDir) : readPluginVersions(ctx.stateDir),
  ]);
  const data: StateFilesData = {
    stateDir: ctx.stateDir,
    volumes,
    databases,
    quick: args.quick === true,
    ...(plugins.packages.length > 0 || plugins.error ? { plugins } : {}),
  };
  if (args.quick) return data;
  const gateways = await run.readings.ownGateways().catch(() => []);
  const [mapped, logs, transcripts, clobbered] = await Promise.all([
    mappedDeleted(
      ctx.procRoot,
      gateways.map((g) => g.pid),
    ),
    logFolder(logDir, config.logFile),
    transcriptFiles(ctx.stateDir),
    clobberedConfigs(ctx.configPath),
  ]);
  return { ...data, mappedDeleted: mapped, logs, transcripts, clobbered };
};

/** OpenClaw's rolling file log when `logging.file` is unset (GATEWAY-FACTS §1). */
const DEFAULT_LOG_DIR = "/tmp/openclaw";
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function statfs(path: string): Promise<{ bsize: number; blocks: number; bavail: number }> {
  return new Promise((resolve, reject) =>
    statfsCb(path, (err, s) => (err ? reject(err) : resolve({ bsize: s.bsize, blocks: s.blocks, bavail: s.bavail }))),
  );
}

/**
 * One entry per filesystem (two folders on one device are one volume), each with the forecast
 * of its samples. A folder that does not exist yet is measured at its nearest existing parent.
 */
async function readVolumes(folders: { path: string; holds: string }[]): Promise<StorageVolume[]> {
  const byDevice = new Map<string, StorageVolume>();
  for (const folder of folders) {
    const path = await nearestExisting(folder.path);
    let key = path;
    try {
      key = `dev:${(await stat(path)).dev}`;
    } catch {
      // Measured by path below.
    }
    const known = byDevice.get(key);
    if (known) {
      known.holds.push(folder.holds);
      continue;
    }
    try {
      const s = await statfs(path);
      const totalBytes = s.blocks * s.bsize;
      const freeBytes = s.bavail * s.bsize;
      const volume: StorageVolume = {
        holds: [folder.holds],
        path,
        totalBytes,
        freeBytes,
        level: level(freeBytes, totalBytes),
      };
      const forecast = forecastFree(sampleFree(key, { at: Date.now(), freeBytes }), freeBytes);
      if (forecast) volume.forecast = forecast;
      byDevice.set(key, volume);
    } catch (err) {
      byDevice.set(key, {
        holds: [folder.holds],
        path,
        totalBytes: 0,
        freeBytes: 0,
        level: "ok",
        error: errorMessage(err),
      });
    }
  }
  return [...byDevice.values()];
}

export function level(freeBytes: number, totalBytes: number): StorageVolume["level"] {
  if (totalBytes <= 0) return "ok";
  const ratio = freeBytes / totalBytes;
  if (ratio < 0.02 || freeBytes < 512 * MiB) return "critical";
  if (ratio < 0.1 || freeBytes < 2 * GiB) return "low";
  return "ok";
}

/**
 * The samples this agent took of each volume, oldest first: one per reading, the watch's every
 * 30 s among them. Six hours at the watch's pace; kept in memory only (a restarted agent starts
 * over, and a one-shot agent never has enough for a forecast).
 */
const SAMPLES = new Map<string, FreeSample[]>();
const MAX_SAMPLES = 720;

function sampleFree(key: string, sample: FreeSample): FreeSample[] {
  const list = SAMPLES.get(key) ?? [];
  list.push(sample);
  if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
  SAMPLES.set(key, list);
  return list;
}

/** The watch's plugin reading, kept while its manifests are unchanged (plugin-versions.ts). */
const PLUGINS = new PluginVersionsCarry();

/** Test seam: forget every sample (tests run several agents' worth of readings in one process). */
export function forgetStorageSamples(): void {
  SAMPLES.clear();
}

async function nearestExisting(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await stat(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** The shared state database, then each agent's session database (at most 50). */
async function readDatabases(stateDir: string): Promise<StateDatabase[]> {
  const paths: { path: string; role: StateDatabase["role"] }[] = [
    { path: join(stateDir, "state", "openclaw.sqlite"), role: "state" },
  ];
  const agents = await readdir(join(stateDir, "agents")).catch(() => [] as string[]);
  for (const id of agents.sort().slice(0, 50)) {
    paths.push({ path: join(stateDir, "agents", id, "agent", "openclaw-agent.sqlite"), role: "agent" });
  }
  const read = await Promise.all(paths.map((p) => readDatabase(p.path, p.role)));
  return read.filter((d): d is StateDatabase => d !== null);
}

/** The 16-byte magic every SQLite 3 database begins with (sqlite.org/fileformat.html §1.3). */
const SQLITE_MAGIC = Buffer.from("SQLite format 3\u0000", "latin1");

export async function readDatabase(path: string, role: StateDatabase["role"]): Promise<StateDatabase | null> {
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(path)).size;
  } catch (err) {
    // No database yet (a fresh agent, one never used): nothing to judge.
    if (errnoCode(err) === "ENOENT") return null;
    return { path, role, sizeBytes: 0, header: "unreadable", error: errorMessage(err) };
  }
  const db: StateDatabase = { path, role, sizeBytes, header: "empty" };
  const wal = await stat(`${path}-wal`).catch(() => null);
  if (wal) db.walBytes = wal.size;
  if (sizeBytes === 0) return db;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const head = Buffer.alloc(100);
    const { bytesRead } = await handle.read(head, 0, 100, 0);
    db.header =
      bytesRead < 16
        ? "short"
        : head.subarray(0, 16).equals(SQLITE_MAGIC)
          ? bytesRead < 100
            ? "short"
            : "sqlite"
          : "not-sqlite";
  } catch (err) {
    db.header = "unreadable";
    db.error = errorMessage(err);
  } finally {
    await handle?.close();
  }
  return db;
}

/**
 * SQLite files a gateway still maps after they were unlinked: `/proc/<pid>/maps` ends the line
 * with ` (deleted)`. A deleted `-shm` is the dangerous one: the next process to open the database
 * makes a new one, and two views of the WAL index disagree.
 */
async function mappedDeleted(procRoot: string, pids: number[]): Promise<{ pid: number; path: string }[]> {
  const out: { pid: number; path: string }[] = [];
  for (const pid of pids.slice(0, 4)) {
    const maps = await readFile(join(procRoot, String(pid), "maps"), "utf8").catch(() => "");
    out.push(...deletedSqliteMappings(maps).map((path) => ({ pid, path })));
  }
  return out;
}

/** Paths in a maps file that are SQLite files (or their -wal/-shm) marked `(deleted)`, once each. */
export function deletedSqliteMappings(maps: string): string[] {
  const seen = new Set<string>();
  for (const line of maps.split("\n")) {
    const m = /\s(\/\S.*?\.sqlite(?:-wal|-shm|-journal)?) \(deleted\)$/.exec(line);
    if (m?.[1]) seen.add(m[1]);
  }
  return [...seen];
}

/** The file log's folder: its files of the log's name (rotations included), their total and the largest. */
async function logFolder(dir: string, logFile: string | null): Promise<StateFilesData["logs"]> {
  const stem = logFile ? basename(logFile).replace(/\.log$/, "") : "openclaw";
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(stem)).slice(0, 2_000);
  let totalBytes = 0;
  let largest: { path: string; sizeBytes: number } | null = null;
  let files = 0;
  for (const name of names) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (!s?.isFile()) continue;
    files++;
    totalBytes += s.size;
    if (!largest || s.size > largest.sizeBytes) largest = { path: join(dir, name), sizeBytes: s.size };
  }
  return { dir, files, totalBytes, largest };
}

const MAX_TRANSCRIPT_ENTRIES = 5_000;

/**
 * Archived transcripts (`agents/<id>/sessions/*`) and each agent's session database with its
 * WAL (openclaw docs concepts/session.md): what grows with use. At most 5,000 entries.
 */
async function transcriptFiles(stateDir: string): Promise<StateFilesData["transcripts"]> {
  let files = 0;
  let totalBytes = 0;
  let largest: { path: string; sizeBytes: number } | null = null;
  let seen = 0;
  let truncated = false;
  const count = (path: string, size: number) => {
    files++;
    totalBytes += size;
    if (!largest || size > largest.sizeBytes) largest = { path, sizeBytes: size };
  };
  const agents = await readdir(join(stateDir, "agents")).catch(() => [] as string[]);
  for (const id of agents.sort()) {
    for (const db of ["openclaw-agent.sqlite", "openclaw-agent.sqlite-wal"]) {
      const path = join(stateDir, "agents", id, "agent", db);
      const s = await stat(path).catch(() => null);
      if (s?.isFile()) count(path, s.size);
    }
    const dir = join(stateDir, "agents", id, "sessions");
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (++seen > MAX_TRANSCRIPT_ENTRIES) {
        truncated = true;
        break;
      }
      const s = await stat(join(dir, name)).catch(() => null);
      if (s?.isFile()) count(join(dir, name), s.size);
    }
    if (truncated) break;
  }
  return { files, totalBytes, largest, truncated };
}

/** `openclaw.json.clobbered.<time>` beside the config, newest first, at most 3, with the keys that differ. */
async function clobberedConfigs(configPath: string): Promise<NonNullable<StateFilesData["clobbered"]>> {
  const dir = dirname(configPath);
  const prefix = `${basename(configPath)}.clobbered.`;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
  const dated = await Promise.all(
    names.map(async (n) => ({ path: join(dir, n), mtime: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  const current = await readFile(configPath, "utf8").catch(() => null);
  return Promise.all(
    dated.slice(0, 3).map(async ({ path, mtime }) => {
      const entry = { path, modifiedAt: isoTime(mtime), changedKeys: [] as string[] };
      const text = await readFile(path, "utf8").catch((err) => err as Error);
      if (text instanceof Error) return { ...entry, error: errorMessage(text) };
      const diff = clobberedChanges(text, current);
      return diff.error ? { ...entry, error: diff.error } : { ...entry, changedKeys: diff.keys };
    }),
  );
}
