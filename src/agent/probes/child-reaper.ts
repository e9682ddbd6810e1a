import {
  type ChildProcess,
  type SpawnOptionsWithStdioTuple,
  type StdioNull,
  type StdioPipe,
  spawn,
} from "node:child_process";

/**
 * Makes the commands the agent runs (`openclaw`, `systemctl`, …) die with it, however it dies:
 * each runs in a process group of its own (exec.ts), which the agent kills on a timeout, but a
 * SIGKILLed agent (the OOM killer, `kill -9`, a supervisor's last resort) runs no code, and its
 * `openclaw doctor` went on for seconds, or a hung one for good. So the agent keeps one small
 * `sh` beside it, in a group of its own, whose stdin is a pipe from the agent: the agent writes
 * `+<pgid>` when a command starts and `-<pgid>` when it is done. The kernel closes the pipe when
 * the agent ends, whatever ended it; the reaper then sends SIGTERM to every group still listed,
 * and SIGKILL a second later. Linux and macOS alike (POSIX sh), no native code.
 */
const REAPER_SCRIPT = [
  "groups=' '",
  "while IFS= read -r line; do",
  "  case $line in",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion in a sh script, not a template
  '    +*) groups="$groups${line#+} " ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion in a sh script, not a template
  '    -*) groups=$(printf %s "$groups" | sed "s/ ${line#-} / /") ;;',
  "  esac",
  "done",
  '[ -n "$(printf %s "$groups" | tr -d \' \')" ] || exit 0',
  'for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done',
  "sleep 1",
  'for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done',
  "exit 0",
].join("\n");

let reaper: ChildProcess | null = null;

function ensureReaper(): ChildProcess | null {
  if (reaper && reaper.exitCode === null && reaper.signalCode === null && reaper.stdin?.writable) return reaper;
  try {
    const child = spawn("/bin/sh", ["-c", REAPER_SCRIPT], {
      stdio: ["pipe", "ignore", "ignore"],
      // Its own group: a Ctrl-C to the agent's terminal (SIGINT to the foreground group) must not
      // end the reaper before the agent's commands.
      detached: true,
      env: { PATH: "/usr/bin:/bin" },
    });
    child.on("error", () => {
      if (reaper === child) reaper = null;
    });
    child.stdin?.on("error", () => {
      if (reaper === child) reaper = null;
    });
    // Neither the reaper nor its pipe keeps the agent's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    reaper = child;
    return child;
  } catch {
    return null;
  }
}

/** A command's process group started: to be killed if the agent dies before it ends. */
export function trackGroup(pgid: number): void {
  ensureReaper()?.stdin?.write(`+${pgid}\n`);
}

/** The command ended (its group was killed or left alone): no longer the reaper's. */
export function untrackGroup(pgid: number): void {
  if (reaper?.stdin?.writable) reaper.stdin.write(`-${pgid}\n`);
}

/** The reaper's pid, for tests. */
export function reaperPid(): number | undefined {
  return reaper?.pid;
}

/**
 * The sh a listed command first runs as: it waits for a line on its stdin, then `exec`s the
 * command in its place (same pid, same group) with stdin from /dev/null. End of file without the
 * line, an agent that died before listing it, ends it before the command starts (exit 125).
 */
export const GATE = 'IFS= read -r go || exit 125; exec "$0" "$@" </dev/null';

/**
 * Spawns `file` in a process group of its own that the reaper holds before the command starts.
 * The group's id is the child's pid, known only after the spawn, and a loaded host ran the
 * command for a while before the agent had listed it: a SIGKILL of the agent in that gap left the
 * command running for good (test/unit/agent-children.test.ts showed it). So the child is first
 * the GATE `sh`, told to go once its group is listed. The command's stdin is /dev/null; `stdio[0]`
 * is the gate's pipe. `file` is a path (the gate's `exec` would look a bare name up itself).
 */
export function spawnListed(
  file: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    stdio: ["pipe", StdioPipe | StdioNull, StdioPipe | StdioNull | "inherit"];
  },
): ChildProcess {
  const child = spawn("/bin/sh", ["-c", GATE, file, ...args], {
    ...options,
    detached: true,
    shell: false,
    windowsHide: true,
  } as SpawnOptionsWithStdioTuple<StdioPipe, StdioPipe, StdioPipe>);
  // A gate that already ended (a spawn error, a kill) makes the go-ahead fail with EPIPE:
  // nothing to start then.
  child.stdin?.on("error", () => {});
  if (child.pid !== undefined) trackGroup(child.pid);
  child.stdin?.end("go\n");
  return child;
}
