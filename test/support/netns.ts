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
  const { netns } = await holdNamespaces(setup, addresses);
  return netns;
}

/**
 * The far side of a host's only network link (`openNetnsWithUplink`): a second network
 * namespace (the network beyond the host's cable, in the same user and pid namespaces) joined to
 * the host's by a veth pair, `eth0` (the host's, `hostAddress`) to `uplink` (`networkAddress`).
 */
export type Uplink = {
  hostAddress: string;
  networkAddress: string;
  /** Runs a command on the network's side (its own process group, stopped with the netns). */
  spawn: Netns["spawn"];
  /**
   * Pulls the host's cable: its `eth0` down. Its route to the network goes with it, so nothing
   * the host sends after crosses (no FIN, no RST when a process there dies), and what the network
   * side sends is lost: a TCP peer out there keeps its connection open, hearing nothing.
   */
  cut(): Promise<void>;
};

/**
 * A netns (as `openNetns`) whose only way out is a veth link to a second namespace, the network:
 * what a host and its cable are. A listener there (test/support/netns-bridge.ts) carries the
 * host's connections on to this machine's loopback; `uplink.cut()` pulls the cable.
 */
export async function openNetnsWithUplink(): Promise<Netns & { uplink: Uplink }> {
  const hostAddress = "10.201.0.2";
  const networkAddress = "10.201.0.1";
  // Inside (sh is pid 1): the network's namespace is a `sleep` unshared from this one, its only
  // child; once it has its own network stack the veth pair joins the two.
  const setup = [
    "ip link set lo up",
    "unshare -n sleep 900 & N=$!",
    'i=0; while [ "$(readlink /proc/$N/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; do i=$((i+1)); [ $i -lt 200 ] || exit 70; sleep 0.05; done',
    "ip link add eth0 type veth peer name uplink",
    "ip link set uplink netns $N",
    `ip addr add ${hostAddress}/30 dev eth0`,
    "ip link set eth0 up",
    `nsenter -t $N -n sh -c 'ip link set lo up && ip addr add ${networkAddress}/30 dev uplink && ip link set uplink up'`,
  ].join("\n");
  const { netns, spawnIn } = await holdNamespaces(setup, []);
  const network = Number((await readFile(`/proc/${netns.pid}/task/${netns.pid}/children`, "utf8")).trim());
  if (!Number.isInteger(network) || network <= 0) {
    await netns.close();
    throw new Error("netns: the network's namespace holder is missing");
  }
  return {
    ...netns,
    uplink: {
      hostAddress,
      networkAddress,
      spawn: (command, args, options) => spawnIn(network, command, args, options),
      async cut() {
        const r = await netns.run("ip", ["link", "set", "eth0", "down"], {
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
          cwd: "/",
          timeoutMs: 10_000,
        });
        if (r.code !== 0) throw new Error(`ip link set eth0 down: exit ${r.code}: ${r.stderr}`);
      },
    },
  };
}

/** Starts the holder with `setup` run first inside (any failing line stops it), and what enters its namespaces. */
async function holdNamespaces(
  setup: string,
  addresses: string[],
): Promise<{ netns: Netns; spawnIn: (pid: number, ...a: Parameters<Netns["spawn"]>) => ChildProcess }> {
  const holder = spawn(
    "unshare",
    [
      "-rnpm",
      "--fork",
      "--mount-proc",
      "--",
      "sh",
      "-c",
      `set -e\n${setup}\necho netns-up\nexec sleep ${HOLD_SECONDS}`,
    ],
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
  }).catch((e: unknown) => {
    killGroup(holder, "SIGKILL");
    throw e;
  });
  // unshare forks: the namespaces' pid 1 is its only child.
  const pid = Number((await readFile(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8")).trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    killGroup(holder, "SIGKILL");
    throw new Error("netns holder has no child");
  }
  const children = new Set<ChildProcess>();
  const spawnIn = (target: number, ...[command, args, options]: Parameters<Netns["spawn"]>) => {
    // Own process group: close() signals the command and everything it started together.
    const child = spawn(
      "nsenter",
      ["-t", String(target), "-U", "-n", "-p", "-m", "--preserve-credentials", "--", command, ...args],
      { env: options.env, cwd: options.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.add(child);
    child.once("exit", () => children.delete(child));
    child.once("error", () => {});
    return child;
  };
  const spawnInside: Netns["spawn"] = (command, args, options) => spawnIn(pid, command, args, options);
  const netns: Netns = {
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
  return { netns, spawnIn };
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
