import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { resolve as resolvePath } from "node:path";
import { monotonicMs } from "../monotonic.ts";
import { spawnListed, untrackGroup } from "./child-reaper.ts";

/**
 * Runs one executable with an argument array (never a shell string) and a hard deadline. The
 * child gets its own process group so a timeout kills everything it started: `openclaw`
 * commands are Node programs that may fork workers, and several block for 60 s when the
 * gateway is down (GATEWAY-FACTS §3). The group dies with the agent too, a SIGKILL of the agent
 * included, and the command starts only once the reaper holds its group (child-reaper.ts,
 * `spawnListed`).
 */

export type ExecOptions = {
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Output beyond this is dropped (the head is kept). */
  maxOutputBytes?: number;
};

export type ExecResult = {
  exitCode: number | null;
  /** Signal that ended the child, e.g. SIGKILL after a timeout. */
  exitSignal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The run was cancelled through `signal`. */
  aborted: boolean;
  /** Set when the executable could not be started at all (ENOENT, EACCES). */
  spawnError?: { code: string; message: string };
  durationMs: number;
};

const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;
/** After SIGTERM, how long the group gets before SIGKILL. */
const KILL_GRACE_MS = 500;

export function execCommand(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const started = monotonicMs();
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    const stdout = new OutputBuffer(max);
    const stderr = new OutputBuffer(max);
    let timedOut = false;
    let aborted = false;
    let spawnError: ExecResult["spawnError"];
    let killTimer: NodeJS.Timeout | undefined;

    const found = findExecutable(file, options.env, options.cwd);
    if (typeof found !== "string") {
      resolve(notStarted(file, found.code, started));
      return;
    }
    // Started only once the reaper holds its group (spawnListed).
    const child = spawnListed(found, args, {
      env: stringEnv(options.env),
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    }) as ChildProcessWithoutNullStreams;
    const pgid = child.pid;

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      killTimer ??= setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    };

    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (err: NodeJS.ErrnoException) => {
      // Named after the command, not the gate's sh (e.g. a `cwd` that does not exist).
      const code = err.code ?? "ESPAWN";
      spawnError = { code, message: `spawn ${file} ${code}` };
    });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (pgid !== undefined) untrackGroup(pgid);
      clearTimeout(timer);
      // The group may still hold stragglers that kept no pipe open; make sure they go too.
      if (timedOut || aborted) killGroup("SIGKILL");
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({
        exitCode: code,
        exitSignal: signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        aborted,
        ...(spawnError ? { spawnError } : {}),
        durationMs: Math.round(monotonicMs() - started),
      });
    };
    child.on("close", finish);
    // A grandchild that left the group can hold our pipes open forever; once the child itself
    // has exited, give the pipes a moment to drain and then stop waiting for them.
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 1_000).unref();
    });
  });
}

/**
 * The file the command names, found as the spawn would find it (a name without a slash on the
 * command's PATH), so that a missing or non-executable one is still a spawn error (ENOENT,
 * EACCES) and not the gate's `sh` (spawnListed) reporting "not found".
 */
function findExecutable(file: string, env: ExecOptions["env"], cwd: string | undefined): string | { code: string } {
  const dirs = file.includes("/") ? [""] : (env.PATH ?? "/usr/bin:/bin").split(":");
  let denied = false;
  for (const dir of dirs) {
    // An empty PATH entry is the working folder, as for the spawn.
    const candidate = resolvePath(cwd ?? process.cwd(), dir || ".", file);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EACCES") denied = true;
    }
  }
  return { code: denied ? "EACCES" : "ENOENT" };
}

/** The result of a command that could not be started, as a failed spawn reports it. */
function notStarted(file: string, code: string, started: number): ExecResult {
  return {
    // As Node reports a failed spawn's close: the negative errno.
    exitCode: -(osConstants.errno[code as keyof typeof osConstants.errno] ?? 1),
    exitSignal: null,
    stdout: "",
    stderr: "",
    timedOut: false,
    aborted: false,
    spawnError: { code, message: `spawn ${file} ${code}` },
    durationMs: Math.round(monotonicMs() - started),
  };
}

class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  push(chunk: Buffer): void {
    if (this.size >= this.max) return;
    const room = this.max - this.size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

function stringEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
