import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { basename, delimiter, dirname, isAbsolute, join } from "node:path";
import type { DoctorLintData } from "../../contract/catalog.ts";
import { readdir, readFile, realpath, stat } from "../fs-async.ts";
import { agentSecondsVar } from "../vars.ts";
import type { ProbeContext } from "./context.ts";
import type { ExecResult } from "./exec.ts";
import type { ConfigReading } from "./openclaw-config.ts";

/**
 * `openclaw doctor --lint --json` takes 4.6–9.7 s (issue 17), far longer than every other
 * probe together, so the agent keeps its last result and answers a triage from it when nothing
 * doctor reads has changed since; and, for a while, the results of the few configs before it,
 * so a config put back as it was is answered at once too (KEYS_KEPT). What doctor reads, from
 * its 62 checks (openclaw 2026.9.6, `core/doctor/*`): the config file; the OpenClaw install (its version, the runtime it ships);
 * the state folder (the state database, sessions, legacy state files, plugin installs, cron
 * store, auth profiles) and each agent's workspace (bootstrap files such as HEARTBEAT.md and
 * TOOLS.md); PATH (CLI model backends such as `claude`); the service files; disk space.
 *
 * The key is a hash of: the config file's bytes, the OpenClaw install (package version, or the
 * launcher's resolved path, size and mtime), PATH and the OpenClaw env paths, and the *shape*
 * (names and kinds, two levels deep) of the state folder and of each workspace: an entry that
 * appears, disappears or turns from a file into a folder changes it; a database or log that
 * only grows does not, nor what the gateway makes and removes as it runs (runtimeScratch), or the
 * cache would never hold on a busy gateway. What the key cannot see (disk filling up, a file's
 * content in the state folder, the service files) is why the
 * answer says how old the result is, why a triage refreshes it afterwards, and why the agent
 * checks the key every minute (startDoctorRefresher). The agent (`run`) warms the cache at start
 * and whenever the config file changes (it watches it), and keeps its last result in its state
 * folder (doctor-cache-file.ts), so a restart does not start cold.
 */

export type DoctorCacheEntry = {
  key: string;
  data: DoctorLintData;
  /** Agent clock (ms since epoch) when doctor finished. */
  finishedAt: number;
};

/** One doctor run: its summary (what a triage sends), and what the command printed (for the repro bundle). */
export type DoctorRun = { data: DoctorLintData; output: ExecResult };

type Slot = {
  /** Latest run first: the current config's result, then those of the configs before it (KEYS_KEPT). */
  entries: Kept[];
  runs: number;
  /** Runs up to this one started before an `invalidate`: their results are not kept. */
  forgotten?: number;
  inflight?: { key: string; promise: Promise<DoctorRun>; startedAt: number };
  /** Jobs under way that change the host (`hold`): the background refresher waits for them. */
  holds: number;
  /** Told when the last hold is let go. */
  released: (() => void)[];
};

type Kept = DoctorCacheEntry & {
  /** Which run stored it: a run that started earlier never replaces a later one's result. */
  run: number;
  /**
   * What doctor printed, on the newest entry only and when small (KEPT_OUTPUT_MAX_CHARS): the
   * repro bundle's `cli/doctor-lint.json` (redacted there, as every bundle file is). Memory only,
   * never written to the state folder (it is not redacted).
   */
  output?: ExecResult;
};

/** Runs doctor for a cache fill; the probe passes its own so tests can swap it. */
export type DoctorRunner = (ctx: ProbeContext) => Promise<DoctorRun>;

/** Doctor's own output for the repro bundle, and where it came from (`DoctorCache.output`). */
export type DoctorOutputReading = {
  output: ExecResult;
  /** Agent clock (ms since epoch) when that doctor run finished. */
  finishedAt: number;
  /** The newest result, kept for this key / the run under way for it, joined. */
  source: "kept" | "joined";
};

/** One entry per config + state folder (an agent serves one gateway; tests run several in one process). */
const MAX_SLOTS = 8;
/**
 * Results kept per gateway besides the newest: a config changed and then put back (an edit
 * undone, a fault test's restore) is answered from its own earlier result instead of doctor's
 * 5-10 s again, while that result is younger than KEPT_KEY_MAX_AGE_MS. Each is a redacted
 * summary of at most 40 findings (a few KB).
 */
export const KEYS_KEPT = 4;
/** An earlier config's result is served for this long after doctor produced it. */
export const KEPT_KEY_MAX_AGE_MS = 15 * 60_000;
/** A directory with more entries than this is hashed by its count alone (sessions, logs). */
const MAX_DIR_ENTRIES = 400;
/** Doctor is not rerun after a triage when its result is younger than this (CLAWOPS_DOCTOR_REFRESH_S overrides it). */
export const REFRESH_AFTER_TRIAGE_MIN_AGE_MS = 60_000;
export const DOCTOR_REFRESH_ENV = "CLAWOPS_DOCTOR_REFRESH_S";

/**
 * Reads CLAWOPS_DOCTOR_REFRESH_S: how old a kept doctor reading a triage answered from must be
 * for the agent to take a new one once the job is over (ms); REFRESH_AFTER_TRIAGE_MIN_AGE_MS when
 * unset. Throws on a value that is not a number of seconds. Doctor costs 5-10 CPU-seconds on the
 * gateway's host, so a host triaged often can have it taken less often; the key check every
 * minute and the config watch still take one whenever what the key sees changes.
 */
export function doctorRefreshAfterMs(env: Readonly<Record<string, string | undefined>>): number {
  return agentSecondsVar(env, DOCTOR_REFRESH_ENV) ?? REFRESH_AFTER_TRIAGE_MIN_AGE_MS;
}
/** Doctor's lint document is 1–2 KB on a real gateway; output larger than this is not kept. */
const KEPT_OUTPUT_MAX_CHARS = 64 * 1024;

export class DoctorCache {
  private readonly slots = new Map<string, Slot>();
  private readonly now: () => number;

  /** Told of every result kept, with the results it keeps, newest first (the agent writes them to its state folder). */
  onStored: ((ctx: ProbeContext, entries: DoctorCacheEntry[]) => void) | undefined;

  /** Told of every doctor run it starts (not of one joined), with why (the agent logs it). */
  onRunStarted: ((ctx: ProbeContext, why: string) => void) | undefined;

  constructor(now: () => number = () => Date.now()) {
    this.now = now;
  }

  private slot(ctx: ProbeContext): Slot {
    const id = `${ctx.configPath}\u0000${ctx.stateDir}`;
    let slot = this.slots.get(id);
    if (!slot) {
      if (this.slots.size >= MAX_SLOTS) {
        const oldest = this.slots.keys().next().value;
        if (oldest !== undefined) this.slots.delete(oldest);
      }
      slot = { entries: [], runs: 0, holds: 0, released: [] };
      this.slots.set(id, slot);
    }
    return slot;
  }

  /**
   * The cached result for this key: the newest result when it is this key's, or an earlier
   * config's result for it while under KEPT_KEY_MAX_AGE_MS old; else undefined.
   */
  get(ctx: ProbeContext, key: string): DoctorCacheEntry | undefined {
    const entries = this.slot(ctx).entries;
    const i = entries.findIndex((e) => e.key === key);
    const kept = entries[i];
    if (!kept || (i > 0 && this.ageMs(kept) >= KEPT_KEY_MAX_AGE_MS)) return undefined;
    return { key: kept.key, data: kept.data, finishedAt: kept.finishedAt };
  }

  /**
   * Puts back the results kept by an earlier run of the agent (newest first), behind any this run
   * has already taken, and none for a key this run has a result for.
   */
  restore(ctx: ProbeContext, entries: readonly DoctorCacheEntry[]): void {
    const slot = this.slot(ctx);
    const back = entries
      .filter((e) => !slot.entries.some((x) => x.key === e.key))
      .sort((a, b) => b.finishedAt - a.finishedAt)
      .map((e): Kept => ({ key: e.key, data: e.data, finishedAt: e.finishedAt, run: 0 }));
    slot.entries = [...slot.entries, ...back].slice(0, KEYS_KEPT);
  }

  /** What a restarted agent can still be answered from: the newest result, and those of earlier configs still young enough. */
  private keptEntries(slot: Slot): DoctorCacheEntry[] {
    return slot.entries
      .filter((e, i) => i === 0 || this.ageMs(e) < KEPT_KEY_MAX_AGE_MS)
      .map(({ key, data, finishedAt }) => ({ key, data, finishedAt }));
  }

  /** When the run under way for this context started (agent clock, ms), or undefined when none is. */
  refreshStartedAt(ctx: ProbeContext): number | undefined {
    return this.slot(ctx).inflight?.startedAt;
  }

  /** Age of a cached entry now, ms. */
  ageMs(entry: DoctorCacheEntry): number {
    return Math.max(0, this.now() - entry.finishedAt);
  }

  /**
   * Runs doctor for this key, or joins the run already under way for it. A result that is a
   * full lint document is kept; a timeout, a crash or unreadable output is returned but not
   * kept, so the next triage tries again.
   */
  refresh(ctx: ProbeContext, key: string, runDoctor: DoctorRunner, why: string): Promise<DoctorLintData> {
    return this.run(ctx, key, runDoctor, why).then((r) => r.data);
  }

  /**
   * What doctor printed for this key, for the repro bundle, without running it a second time: the
   * newest result when it is this key's and younger than `maxAgeMs`, else the run under way for
   * this key. Undefined when there is neither (the bundle runs doctor itself) or the joined run
   * could not start doctor.
   */
  async output(ctx: ProbeContext, key: string, maxAgeMs: number): Promise<DoctorOutputReading | undefined> {
    const slot = this.slot(ctx);
    const newest = slot.entries[0];
    if (newest?.key === key && newest.output && this.ageMs(newest) < maxAgeMs) {
      return { output: newest.output, finishedAt: newest.finishedAt, source: "kept" };
    }
    if (slot.inflight?.key !== key) return undefined;
    const { output } = await slot.inflight.promise.catch(() => ({ output: undefined }));
    return output && !output.spawnError ? { output, finishedAt: this.now(), source: "joined" } : undefined;
  }

  /** Runs doctor for this key, or joins the run already under way for it; keeps what `refresh` says. */
  private run(ctx: ProbeContext, key: string, runDoctor: DoctorRunner, why: string): Promise<DoctorRun> {
    const slot = this.slot(ctx);
    if (slot.inflight?.key === key) return slot.inflight.promise;
    const run = ++slot.runs;
    this.onRunStarted?.(ctx, why);
    const promise = runDoctor(ctx).then((done) => {
      const { data, output } = done;
      const same = slot.entries.find((e) => e.key === key);
      if (cacheable(data) && run > Math.max(same?.run ?? 0, slot.forgotten ?? 0)) {
        const entry = { key, data, finishedAt: this.now() };
        const small = output.stdout.length + output.stderr.length <= KEPT_OUTPUT_MAX_CHARS;
        keep(slot, { ...entry, run, ...(small ? { output } : {}) });
        // The state folder keeps what this cache keeps, the latest run's result first: a restarted
        // agent answers a config put back at once too, as this one does.
        if (slot.entries[0]?.key === key) this.onStored?.(ctx, this.keptEntries(slot));
      }
      return done;
    });
    const inflight = { key, promise, startedAt: this.now() };
    slot.inflight = inflight;
    const clear = () => {
      if (slot.inflight === inflight) slot.inflight = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Is a run under way for this context (any key)? */
  refreshing(ctx: ProbeContext): boolean {
    return this.slot(ctx).inflight !== undefined;
  }

  /**
   * While a job that changes the host runs (a switch of versions, a restart, a state put back:
   * the catalog's mutating steps), the background refresher takes no reading: what doctor reads
   * is between two states, and the gateway's start needs the host's CPU. It looks again when the
   * last such job is over, at the state the job left (a switch rolled back is the key from before,
   * answered from its reading). A triage's own doctor step is not held. Returns the release, which
   * is safe to call more than once.
   */
  hold(ctx: ProbeContext): () => void {
    const slot = this.slot(ctx);
    slot.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.holds -= 1;
      if (slot.holds > 0) return;
      for (const fn of slot.released.splice(0)) fn();
    };
  }

  /** Is a job that changes the host under way (`hold`)? */
  held(ctx: ProbeContext): boolean {
    return this.slot(ctx).holds > 0;
  }

  /** Calls `fn` once the holds on this context are let go (at once when there are none). */
  whenReleased(ctx: ProbeContext, fn: () => void): void {
    const slot = this.slot(ctx);
    if (slot.holds === 0) fn();
    else slot.released.push(fn);
  }

  /** Forget what is cached (after `doctor --fix` changed what doctor reads). */
  invalidate(ctx: ProbeContext): void {
    const slot = this.slot(ctx);
    slot.entries = [];
    // A run that started before the change must not bring its result back, nor be joined.
    slot.forgotten = slot.runs;
    slot.inflight = undefined;
  }
}

/** The agent's one cache. */
export const doctorCache = new DoctorCache();

/**
 * Latest run first (a run that started before another and finished after it goes behind it: the
 * later run read the newer config); the key's earlier result replaced; past KEYS_KEPT the oldest goes.
 */
function keep(slot: Slot, kept: Kept): void {
  slot.entries = [kept, ...slot.entries.filter((e) => e.key !== kept.key)]
    .sort((a, b) => b.run - a.run)
    .slice(0, KEYS_KEPT)
    // Only the newest keeps doctor's output: a bundle reads the current config's.
    .map((e, i) => (i === 0 || !e.output ? e : withoutOutput(e)));
}

function withoutOutput({ output: _output, ...entry }: Kept): Kept {
  return entry;
}

function cacheable(data: DoctorLintData): boolean {
  return !data.timedOut && data.parseError === undefined && Array.isArray(data.findings);
}

/**
 * The cache key: what doctor reads, hashed (see the module comment). Never throws: what
 * cannot be read goes into the key as the error code, so a file that appears changes it.
 */
export async function doctorCacheKey(ctx: ProbeContext, config: ConfigReading): Promise<string> {
  const hash = createHash("sha256");
  const add = (label: string, value: string) => hash.update(`${label}\u0000${value}\u0001`);
  add("config", await fileDigest(ctx.configPath));
  add("openclaw", await openclawInstall(ctx));
  add("path", ctx.env.PATH ?? "");
  add("stateDir", ctx.stateDir);
  add("configPath", ctx.configPath);
  add("state", await shape(ctx.stateDir, 2, runtimeScratch));
  const workspace = config.workspace ? expandHome(config.workspace, ctx.env.HOME) : join(ctx.stateDir, "workspace");
  add("workspace", `${workspace}\u0000${await shape(workspace, 2)}`);
  return hash.digest("hex").slice(0, 32);
}

async function fileDigest(path: string): Promise<string> {
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? "?"}`;
  }
}

/** The install doctor comes from: the openclaw package's version where it can be found, else the launcher's identity. */
async function openclawInstall(ctx: ProbeContext): Promise<string> {
  const bin = await whichBin(ctx.openclawBin, ctx.env.PATH);
  if (!bin) return `not found:${ctx.openclawBin}`;
  try {
    const real = await realpath(bin);
    const s = await stat(real);
    const identity = `${real}:${s.size}:${Math.round(s.mtimeMs)}`;
    try {
      const pkg = JSON.parse(await readFile(join(dirname(real), "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "openclaw" && typeof pkg.version === "string") return `${identity}:${pkg.version}`;
    } catch {
      // A launcher outside the package (a wrapper script): its own identity must do.
    }
    return identity;
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? "?"}`;
  }
}

async function whichBin(bin: string, path: string | undefined): Promise<string | null> {
  if (bin.includes("/")) return bin;
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

/**
 * What a running gateway makes and removes as it runs, which doctor does not judge: its scratch
 * folder (`tmp`: the workspace transfer folder exists only while the gateway runs) and SQLite's
 * write-ahead log and shared-memory files beside the state database (there while a connection is
 * open). Left in the key, a gateway's stop or restart changed it, and the next triage ran doctor
 * again for a state folder that is the same to doctor.
 */
function runtimeScratch(path: string): boolean {
  return path === "tmp" || /\.(sqlite|db)-(wal|shm)$/.test(path);
}

/**
 * Names and kinds of a folder's entries, `depth` levels deep, sorted; large folders by count;
 * entries `skip` names (by their path under the folder) left out.
 */
async function shape(dir: string, depth: number, skip?: (path: string) => boolean, under = ""): Promise<string> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return `!${(err as NodeJS.ErrnoException).code ?? "?"}`;
  }
  if (entries.length > MAX_DIR_ENTRIES) return `#${entries.length > 10 * MAX_DIR_ENTRIES ? "many" : "large"}`;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: string[] = [];
  for (const e of entries) {
    if (skip?.(`${under}${e.name}`)) continue;
    const kind = e.isDirectory() ? "d" : e.isSymbolicLink() ? "l" : e.isFile() ? "f" : "o";
    const inner =
      kind === "d" && depth > 1 ? `(${await shape(join(dir, e.name), depth - 1, skip, `${under}${e.name}/`)})` : "";
    parts.push(`${e.name}:${kind}${inner}`);
  }
  return parts.join("/");
}

function expandHome(path: string, home: string | undefined): string {
  if (path.startsWith("~/") && home) return join(home, path.slice(2));
  return isAbsolute(path) ? path : join(home ?? "", path);
}

/** How often the agent looks at the key between triages (a few stats and one file hash). */
export const DOCTOR_KEY_CHECK_MS = 60_000;

/**
 * After a job that changed the host (`hold`), wait this long before checking the key: the control
 * plane's next job for it (the acceptance, a switch back, the triage after) comes within seconds,
 * and a triage's own miss takes the reading of the state it ends in.
 */
const AFTER_HOLD_MS = 30_000;

/** After the config file changes, wait this long for the writes to settle (editors write twice). */
const CONFIG_SETTLE_MS = 300;

/**
 * Keeps the cache warm between triages: checks the key now (`firstDelayMs`, default 0), when the
 * config file changes (`watchConfig`: a watch on its folder, since editors replace the file by
 * renaming a new one over it) and every `intervalMs`, and runs doctor in the background when
 * there is no result for the key. Returns a stop function.
 */
export function startDoctorRefresher(
  ctx: ProbeContext,
  readConfig: () => Promise<ConfigReading>,
  runDoctor: DoctorRunner,
  options: {
    intervalMs?: number;
    firstDelayMs?: number;
    cache?: DoctorCache;
    onError?: (err: unknown) => void;
    /** After each doctor run it started, done or failed (the agent gives back the memory its output took). */
    afterRun?: () => void;
    /** Watch the config file and check the key when it changes (default true). */
    watchConfig?: boolean;
    /** How long after the last job that changed the host the key is checked (AFTER_HOLD_MS). */
    afterHoldMs?: number;
  } = {},
): () => void {
  const cache = options.cache ?? doctorCache;
  let stopped = false;
  let again: string | undefined;
  let waiting = false;
  let settleTimer: NodeJS.Timeout | undefined;
  /**
   * A change seen while a job changes the host is looked at once that job is over (`hold`), and
   * its sequel had time to come (`afterHoldMs`): until then every check is held back the same way.
   */
  const heldBack = (why: string): boolean => {
    if (waiting) {
      again = why;
      return true;
    }
    if (!cache.held(ctx)) return false;
    again = why;
    waiting = true;
    const settled = () => {
      waiting = false;
      const next = again;
      again = undefined;
      if (next !== undefined) tick(next)();
    };
    // The job's sequel (an acceptance, a switch back) comes within seconds: look once it had time to.
    cache.whenReleased(ctx, () => {
      settleTimer = setTimeout(settled, options.afterHoldMs ?? AFTER_HOLD_MS);
      settleTimer.unref();
    });
    return true;
  };
  const check = async (why: string): Promise<void> => {
    if (stopped || heldBack(why)) return;
    // A change seen while a run is under way is looked at once that run is done.
    if (cache.refreshing(ctx)) {
      again = why;
      return;
    }
    const key = await doctorCacheKey(ctx, await readConfig());
    // Held meanwhile: the key read may be of a state the job passes through.
    if (stopped || heldBack(why) || cache.get(ctx, key) || cache.refreshing(ctx)) return;
    try {
      await cache.refresh(ctx, key, runDoctor, why);
    } finally {
      options.afterRun?.();
      if (again !== undefined && !stopped) {
        const next = again;
        again = undefined;
        await check(next);
      }
    }
  };
  const tick = (why: string) => () => void check(why).catch((err: unknown) => options.onError?.(err));
  const first = setTimeout(tick("no reading for the config at the agent's start"), options.firstDelayMs ?? 0);
  const timer = setInterval(
    tick("what doctor reads changed (the minute's check of the config, install and state folder)"),
    options.intervalMs ?? DOCTOR_KEY_CHECK_MS,
  );
  first.unref();
  timer.unref();
  let settle: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  if (options.watchConfig ?? true) {
    const name = basename(ctx.configPath);
    try {
      watcher = watch(dirname(ctx.configPath), { persistent: false }, (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(settle);
        settle = setTimeout(tick("openclaw.json changed"), CONFIG_SETTLE_MS);
        settle.unref();
      });
      watcher.on("error", (err) => options.onError?.(err));
    } catch (err) {
      // No config folder (yet): the minute's check still sees a config that appears.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") options.onError?.(err);
    }
  }
  return () => {
    stopped = true;
    clearTimeout(first);
    clearTimeout(settleTimer);
    clearTimeout(settle);
    clearInterval(timer);
    watcher?.close();
  };
}
