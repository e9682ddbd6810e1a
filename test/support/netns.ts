import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

/**
 * A private network namespace (unprivileged: `unshare -rnpm`, a user namespace that maps the
 * caller to root, a fresh network stack with only `lo`, and its own pid namespace and /proc so
 * the agent's process probes see only what runs inside, as on a host with one gateway). Nothing
 * started in it can reach a real network, so a gateway may bind `lan` there. A holder (`sleep`,
 * pid 1 inside) keeps the namespaces alive; `spawn()` runs a command inside with `nsenter`.
 * `close()` stops every process group started here, then kills the holder: when pid 1 of a pid
 * namespace dies the kernel kills everything left in it.
 */
export type Netns = {
  /** pid (outside) of the holder, pid 1 inside. */
  pid: number;
  /** Addresses on `lo` besides 127.0.0.1. */
  addresses: string[];
  spawn(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): ChildProcess;
  /** Runs a command inside to its end (SIGKILL to its group at `timeoutMs`). */
  run(
    command: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
};

const HOLD_SECONDS = 900;

export async function openNetns(addresses: string[] = []): Promise<Netns> {
  for (const a of addresses)
    if (!/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) throw new Error(`not a 10/8 address: ${a}`);
  const setup = ["ip link set lo up", ...addresses.map((a) => `ip addr add ${a}/32 dev lo`)].join(" && ");
  const holder = spawn(
    "unshare",
    ["-rnpm", "--fork", "--mount-proc", "--", "sh", "-c", `${setup} && echo netns-up && exec sleep ${HOLD_SECONDS}`],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  if (!holder.pid) throw new Error("unshare did not start");
  let err = "";
  holder.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netns not up within 10 s: ${err}`)), 10_000);
    holder.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("netns-up")) {
        clearTimeout(timer);
        resolve();
      }
    });
    holder.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`unshare -rnpm exited ${code}: ${err.trim()}`));
    });
  });
  // unshare forks: the namespaces' pid 1 is its only child.
  const pid = Number((await readFile(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8")).trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    killGroup(holder, "SIGKILL");
    throw new Error("netns holder has no child");
  }
  const children = new Set<ChildProcess>();
  const enter = (command: string, args: string[]) => [
    "-t",
    String(pid),
    "-U",
    "-n",
    "-p",
    "-m",
    "--preserve-credentials",
    "--",
    command,
    ...args,
  ];
  const spawnInside: Netns["spawn"] = (command, args, options) => {
    // Own process group: close() signals the command and everything it started together.
    const child = spawn("nsenter", enter(command, args), {
      env: options.env,
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    child.once("error", () => {});
    return child;
  };
  return {
    pid,
    addresses,
    spawn: spawnInside,
    run(command, args, options) {
      const child = spawnInside(command, args, options);
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      return new Promise((resolve) => {
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.timeoutMs);
        child.once("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    async close() {
      for (const child of children) killGroup(child, "SIGTERM");
      await Promise.all([...children].map((c) => exitOf(c, 15_000)));
      for (const child of children) killGroup(child, "SIGKILL");
      killGroup(holder, "SIGKILL");
      await exitOf(holder, 5_000);
    },
  };
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export function exitOf(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      resolve();
    }, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
