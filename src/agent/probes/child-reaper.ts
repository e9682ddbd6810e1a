import { type ChildProcess, spawn } from "node:child_process";

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
