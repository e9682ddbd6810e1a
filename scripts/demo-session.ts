import type { ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { ensurePrivateDir } from "../src/node/private-files.ts";

/**
 * The running part of `npm run demo` (scripts/demo.ts): a gateway, its control server, demo.json
 * in the data folder, and the control plane as `npm start` runs it, with the parts passed in so
 * the order of starting and cleaning up can be tested without a real gateway
 * (test/unit/demo-session.test.ts).
 */
export interface DemoFile {
  pid: number;
  control: { url: string; token: string };
  gateway: string;
  lab: string;
  host: string;
}

/** What the demo needs of the lab's gateway (test/support/gateway/gateway.ts's RealGateway). */
export interface DemoGateway {
  readonly url: string;
  readonly labDir: string;
  readonly pid: number | undefined;
  readonly env: Record<string, string>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export type DemoInstall = { version: string; openclawBin: string };

export interface DemoParts<I extends DemoInstall, G extends DemoGateway> {
  dataDir: string;
  demoFile: string;
  host: string;
  install: () => Promise<I>;
  createGateway: (install: I) => Promise<G>;
  startControl: (gateway: G) => Promise<{ address: DemoFile["control"]; close(): Promise<void> }>;
  /** Starts the control plane (`npm start`) with `env` added to this process's. */
  spawnControlPlane: (env: Record<string, string>) => ChildProcess;
  say: (line: string) => void;
  /** Where SIGINT/SIGTERM are heard (the process; a test's emitter). */
  signals: { once(signal: NodeJS.Signals, listener: () => void): unknown };
}

export async function runDemo<I extends DemoInstall, G extends DemoGateway>(parts: DemoParts<I, G>): Promise<number> {
  const { demoFile } = parts;
  // First (issue 45, item 9): a data folder that did not exist made demo.json fail with ENOENT
  // after the gateway had started. Made as the control plane makes it, 0700.
  ensurePrivateDir(parts.dataDir);
  const install = await parts.install();
  const gateway = await parts.createGateway(install);
  let cleaned = false;
  const controlServer = await parts.startControl(gateway).catch(async (err: unknown) => {
    await gateway.dispose();
    throw err;
  });
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await controlServer.close();
    await gateway.dispose();
    rmSync(demoFile, { force: true });
  };
  // From here on, whatever fails stops the gateway and the control server before it is said:
  // they would keep this process (and 1 GB) alive, waiting for nothing.
  try {
    return await runWithGateway(parts, install, gateway, controlServer.address, cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function runWithGateway<I extends DemoInstall, G extends DemoGateway>(
  parts: DemoParts<I, G>,
  install: I,
  gateway: G,
  control: DemoFile["control"],
  cleanup: () => Promise<void>,
): Promise<number> {
  const { demoFile, host, say } = parts;
  // Whatever ends this process, the gateway (1 GB, its own process group) does not outlive it.
  process.once("exit", () => {
    const pid = gateway.pid;
    if (pid) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
  });
  await gateway.start();
  say(`openclaw ${install.version} serving ${gateway.url} (lab ${gateway.labDir})`);
  writeFileSync(
    demoFile,
    `${JSON.stringify({ pid: process.pid, control, gateway: gateway.url, lab: gateway.labDir, host } satisfies DemoFile)}\n`,
    { mode: 0o600 },
  );

  // `npm start`, its local agent pointed at the lab's gateway: its config, state and `openclaw`.
  const cp = parts.spawnControlPlane({
    ...gateway.env,
    CLAWOPS_OPENCLAW_BIN: install.openclawBin,
    CLAWOPS_LOCAL_HOST: host,
    CLAWOPS_DATA_DIR: parts.dataDir,
  });
  let banner = "";
  cp.stdout?.on("data", (d: Buffer) => {
    process.stdout.write(d);
    if (banner.includes("clawops is running at")) return;
    banner += d.toString();
    if (banner.includes("clawops is running at") && banner.includes("Data:")) {
      process.stdout.write(
        [
          `  Demo gateway:         openclaw ${install.version} on ${gateway.url}, watched by the local agent as host ${host}`,
          `                        try: bin/clawops triage ${host}`,
          "                        break it: npm run demo -- --break token-drift|down|hung (then --fix)",
          "                        stop: Ctrl-C or npm run demo -- stop (removes the lab)",
          "",
        ].join("\n"),
      );
    }
  });
  const exited = new Promise<number>((r) => {
    cp.once("exit", (code) => r(code ?? 1));
    // A spawn that fails (the program missing, not executable) emits `error` and no `exit`.
    cp.once("error", (err) => {
      say(`the control plane could not be started: ${err.message}`);
      r(1);
    });
  });
  const stop = async (signal: NodeJS.Signals) => {
    say(`stopping (${signal})`);
    if (cp.exitCode === null) cp.kill("SIGTERM");
    await exited;
  };
  parts.signals.once("SIGINT", () => void stop("SIGINT"));
  parts.signals.once("SIGTERM", () => void stop("SIGTERM"));
  const code = await exited;
  await cleanup();
  say("gateway stopped and the lab removed");
  return code;
}
