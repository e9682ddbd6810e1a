import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readConsoleSecret } from "../../src/node/console/secret.ts";
import { endWithFile, makeTempDir } from "./file-end.ts";

const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));
/** How long a start may take before the test gives up: a hang bound (a loaded CI box has taken
 *  more than 20 s), not a speed claim; `npm start`'s own time is benchmarked. */
const START_BOUND_MS = 60_000;

/**
 * Runs the control plane exactly as `npm start` does, in its own process, so a benchmark or
 * end-to-end test measures it black-box (the load generator does not share its event loop).
 */
export interface ControlPlaneProcess {
  /** The console secret as a bearer header (read from the data folder). */
  consoleHeaders(): Record<string, string>;
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** What the process wrote on stderr (its JSON log lines), the last 64 KB. */
  stderr(): string;
  /** What the process wrote on stdout (the start banner), the last 64 KB. */
  stdout(): string;
  /** Issues a one-time enrollment code through the console API. */
  enrollmentCode(host: string): Promise<string>;
  stop(): Promise<void>;
}

export async function spawnControlPlane(
  env: Record<string, string>,
  opts: {
    dataDir?: string;
    keepData?: boolean /** Another checkout's src/node/main.ts (a bench's baseline). */;
    main?: string;
    /** In a process group of its own, as a terminal runs `npm start` (Ctrl-C: SIGINT to `-pid`). */
    detached?: boolean;
    /**
     * Runs the control plane through a launcher (`unshare … sh -c '…; exec "$0" "$@"'`): given the
     * Node command and its arguments, returns what to spawn instead. The launcher must `exec` Node,
     * so the child's pid is the control plane's.
     */
    launcher?: (command: string, args: string[]) => [string, string[]];
  } = {},
): Promise<ControlPlaneProcess> {
  const dataDir = opts.dataDir ?? makeTempDir("clawops-cp-");
  // CLAWOPS_BENCH_CP_NODE_ARGS: Node flags for the control plane alone (`--cpu-prof --cpu-prof-dir=…`).
  const nodeArgs = process.env.CLAWOPS_BENCH_CP_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const [command, args] = (opts.launcher ?? ((c: string, a: string[]) => [c, a] as [string, string[]]))(
    process.execPath,
    [...nodeArgs, opts.main ?? MAIN],
  );
  const child = endWithFile(
    spawn(command, args, {
      env: {
        ...process.env,
        CLAWOPS_PORT: "0",
        CLAWOPS_DATA_DIR: dataDir,
        CLAWOPS_LOCAL_AGENT: "0",
        CLAWOPS_CONSOLE: "1",
        // The watch off unless a test asks for it (test/gateway/watch.test.ts): the other tests'
        // gateways see only the probes they make, and their threads only their own messages.
        CLAWOPS_WATCH_INTERVAL_S: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.detached ? { detached: true } : {}),
    }),
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-64_000);
  });
  let stdout = "";
  child.stdout?.on("data", (d) => {
    stdout = (stdout + d).slice(-64_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      // Not left running for the rest of the suite: the test that asked for it has failed.
      child.kill("SIGKILL");
      reject(new Error(`control plane did not start in ${START_BOUND_MS / 1000} s: ${stderr.slice(-4000)}`));
    }, START_BOUND_MS);
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /clawops is running at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`control plane exited ${code}: ${stderr.slice(-4000)}`)));
  });
  // The console secret `npm start` made in its data folder, as the CLI reads it.
  const consoleHeaders = () => ({ authorization: `Bearer ${readConsoleSecret(dataDir)}` });
  return {
    url,
    dataDir,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    consoleHeaders,
    async enrollmentCode(host) {
      const res = await fetch(`${url}/api/console/command`, {
        method: "POST",
        headers: { "content-type": "application/json", ...consoleHeaders() },
        body: JSON.stringify({ text: `enroll ${host}` }),
      });
      const body = (await res.json()) as { ack: { text: string } };
      const m = /`?([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`?/.exec(body.ack.text);
      if (!m?.[1]) throw new Error(`no enrollment code in: ${body.ack.text}`);
      return m[1];
    },
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
        });
      }
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
