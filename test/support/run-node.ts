import { spawn } from "node:child_process";

/** A finished process's exit code and what it wrote. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script with this Node (the CLI, a script under scripts/) to its end, as a person runs it
 * from a terminal: its own process, nothing on stdin, both outputs kept.
 */
export function runNode(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onStdout?: (soFar: string) => void,
): Promise<Finished> {
  return runProcess(process.execPath, [file, ...args], { env, ...(onStdout ? { onStdout } : {}) });
}

/**
 * Runs `command` to its end the same way (nothing on stdin, both outputs kept), in `cwd` when given;
 * `onStdout` sees what it has printed so far, as it prints. `killAfterMs` bounds a run that hangs:
 * SIGKILL then, to its whole process group with `group` (a command that leaves children of its own).
 */
export function runProcess(
  command: string,
  args: string[],
  opts: {
    env: NodeJS.ProcessEnv;
    cwd?: string;
    onStdout?: (soFar: string) => void;
    killAfterMs?: number;
    group?: boolean;
  },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.group ? { detached: true } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      opts.onStdout?.(stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer =
      opts.killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            if (opts.group && child.pid) process.kill(-child.pid, "SIGKILL");
            else child.kill("SIGKILL");
          }, opts.killAfterMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
