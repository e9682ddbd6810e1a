import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSON5 from "json5";
import { endLabProcesses } from "../lab-processes.ts";
import { freePort } from "../ports.ts";
import type { GatewayDescriptor } from "./descriptor.ts";
import { type OpenclawInstall, pathWithNodeFirst } from "./install.ts";
import { lastLines, waitForReady } from "./readiness.ts";

/**
 * One real OpenClaw gateway in an isolated lab folder (HOME, state dir, config, workspace and
 * logs all under it), bound to loopback on a free port with a random token. The recipe is
 * GATEWAY-FACTS §1–2; each instance costs ≈1 GB RSS and 12–18 s to start.
 */

export type GatewayEnv = {
  HOME: string;
  OPENCLAW_STATE_DIR: string;
  OPENCLAW_CONFIG_PATH: string;
  /** Node 24 first: openclaw refuses Node 20 (GATEWAY-FACTS §1). */
  PATH: string;
  NO_COLOR: string;
};

export type StartOptions = {
  /** Extra `openclaw gateway run` arguments, e.g. `['--token', 'other']` for token drift (§6a). */
  extraArgs?: string[];
  /** A command that execs the gateway, e.g. `setpriv --bounding-set=-all … --` (same pid). */
  launcher?: string[];
};

/** SIGTERM exits in 0.4–2.9 s (§2). */
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_CHARS = 4_000;

export class RealGateway {
  readonly install: OpenclawInstall;
  readonly labDir: string;
  readonly port: number;
  readonly token: string;
  readonly configPath: string;
  readonly env: GatewayEnv;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private starts = 0;
  private extraArgs: string[] = [];
  /** Stopped with SIGSTOP (pause): it holds its port and answers nothing, a hung gateway. */
  private pausedNow = false;
  /** What every start waits for first (`holdStartsUntil`); settled, it holds nothing. */
  private startGate: Promise<unknown> = Promise.resolve();

  private constructor(install: OpenclawInstall, labDir: string, port: number, token: string) {
    this.install = install;
    this.labDir = labDir;
    this.port = port;
    this.token = token;
    this.configPath = join(labDir, "state", "openclaw.json");
    this.logPath = join(labDir, "logs", "gateway.log");
    this.env = {
      HOME: join(labDir, "home"),
      OPENCLAW_STATE_DIR: join(labDir, "state"),
      OPENCLAW_CONFIG_PATH: this.configPath,
      PATH: pathWithNodeFirst(install.nodeBinDir),
      NO_COLOR: "1",
    };
  }

  /** Creates the lab and runs `openclaw setup --baseline`; does not start the gateway. */
  static async create(install: OpenclawInstall): Promise<RealGateway> {
    const labDir = await mkdtemp(join(tmpdir(), "clawops-gw-"));
    const gateway = new RealGateway(
      install,
      labDir,
      await freeLoopbackPort(),
      `lab-${randomBytes(18).toString("hex")}`,
    );
    try {
      await gateway.setup();
      return gateway;
    } catch (err) {
      await rm(labDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What test files get for this lab (`inject('gateway')` for the shared one); it need not be running. */
  describe(): GatewayDescriptor {
    return {
      url: this.url,
      httpUrl: this.httpUrl,
      port: this.port,
      token: this.token,
      env: this.env,
      labDir: this.labDir,
      configPath: this.configPath,
      logPath: this.logPath,
      openclawBin: this.install.openclawBin,
      nodeBinDir: this.install.nodeBinDir,
      version: this.install.version,
    };
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** How many times this lab started its gateway (`start`, `restart`); not OpenClaw's own in-process restarts. */
  get startCount(): number {
    return this.starts;
  }

  /** Extra arguments of the current (or last) start; empty means the lab config alone. */
  get currentExtraArgs(): readonly string[] {
    return this.extraArgs;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The env for the gateway process itself: the caller's env minus anything OpenClaw reads. */
  processEnv(): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(
      // VITEST=true (inherited from the test runner) makes OpenClaw silence its console and file
      // logs (dist/logger-*.mjs: level "silent" under vitest); a real gateway logs. NODE_ENV=test
      // (vitest sets it too) puts OpenClaw in its own test runtime: no gateway lock
      // (dist/gateway-lock-*.mjs `acquireGatewayLock` returns null), no embedded state lock, and
      // some 30 other `isVitestRuntimeEnv` branches. A real gateway runs with neither.
      Object.entries(process.env).filter(
        ([k, v]) => !/^(OPENCLAW_|CLAWDBOT_|MOLTBOT_|VITEST)/.test(k) && !(k === "NODE_ENV" && v === "test"),
      ),
    );
    return { ...inherited, ...this.env, FORCE_COLOR: "0" };
  }

  private async setup(): Promise<void> {
    for (const dir of ["home", "state", "logs"]) await mkdir(join(this.labDir, dir), { recursive: true });
    // Setup on a fresh state dir, as an operator would: given an existing config it writes a
    // thinner one (no main agent workspace, no plugin entries). Its own log lines still go to
    // /tmp/openclaw/ (hard-coded default, §1); everything after lands under the lab.
    await this.cli(["setup", "--baseline", "--workspace", join(this.labDir, "workspace")], 90_000);
    // Then the essentials, straight into the file: each `openclaw config set` costs ~4 s (§2).
    // OpenClaw reads the file as JSON5; what setup wrote is plain JSON, and so is what we write.
    const written = JSON5.parse(await readFile(this.configPath, "utf8")) as Record<string, unknown>;
    await writeFile(this.configPath, `${JSON.stringify(this.essentials(written), null, 2)}\n`, { mode: 0o600 });
    // What OpenClaw's first CLI command after setup makes in the state folder (`gateway status`,
    // `doctor` and the rest: `media/outbound` and `media/playback-transcode`, empty; listed on
    // 2026-11-28), made here: the lab is a host where the CLI has run before. Otherwise the
    // agent's doctor cache, whose key sees the state folder's shape, kept the lab's first doctor
    // reading under a shape gone a moment later, and the next triage ran doctor again.
    for (const dir of ["outbound", "playback-transcode"]) {
      await mkdir(join(this.labDir, "state", "media", dir), { recursive: true });
    }
  }

  private essentials(config: Record<string, unknown>): Record<string, unknown> {
    const gateway = (config.gateway ?? {}) as Record<string, unknown>;
    const logging = (config.logging ?? {}) as Record<string, unknown>;
    const agents = (config.agents ?? {}) as Record<string, unknown>;
    const agentDefaults = (agents.defaults ?? {}) as Record<string, unknown>;
    const skills = (config.skills ?? {}) as Record<string, unknown>;
    return {
      ...config,
      gateway: {
        ...gateway,
        mode: gateway.mode ?? "local",
        port: this.port,
        bind: "loopback",
        auth: { mode: "token", token: this.token },
      },
      logging: { ...logging, file: join(this.labDir, "logs", "openclaw-file.log") },
      // The lab has no model credentials, so every agent turn fails. The first config reload
      // (any fault test's) adds the system jobs `heartbeat-main` (every 30 min, first run at a
      // random phase) and `skill-collection-review-main` (every 7 days): once either ran, the lab
      // carried a failing cron job that no test put there, and checks that expect a healthy
      // scheduler failed depending on timing. An operator without a model turns them off too.
      agents: { ...agents, defaults: { ...agentDefaults, heartbeat: { every: "0m" } } },
      skills: { ...skills, workshop: { autonomous: { mode: "off" } } },
    };
  }

  /** Runs an `openclaw` command with the lab env; rejects on a non-zero exit. */
  cli(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        this.install.openclawBin,
        args,
        { env: this.processEnv(), cwd: this.labDir, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`openclaw ${args.join(" ")} failed: ${err.message}\n${stderr.slice(-2000)}`));
          else resolve({ stdout, stderr });
        },
      );
    });
  }

  /**
   * No start until `gate` settles: the lab can be made, and used stopped, while the machine's
   * gateway slots are taken (the lane beside it's pair: pair.ts, `waitForPair`).
   */
  holdStartsUntil(gate: Promise<unknown>): void {
    this.startGate = gate.catch(() => undefined);
  }

  /** Starts `openclaw gateway run` and waits until /readyz answers 200. */
  async start(options: StartOptions = {}): Promise<void> {
    await this.startGate;
    if (this.running) throw new Error(`gateway already running (pid ${this.child?.pid})`);
    this.extraArgs = [...(options.extraArgs ?? [])];
    const args = ["gateway", "run", "--port", String(this.port), ...this.extraArgs];
    this.starts += 1;
    const log = openSync(this.logPath, "a");
    writeSync(log, `\n==== start #${this.starts} ${new Date().toISOString()} openclaw ${redactArgs(args).join(" ")}\n`);
    const started = Date.now();
    let child: ChildProcess;
    try {
      // Own process group: stop() signals the gateway and its workers together.
      const [file, ...argv] = [...(options.launcher ?? []), this.install.openclawBin, ...args];
      child = spawn(file as string, argv, {
        env: this.processEnv(),
        cwd: this.labDir,
        detached: true,
        stdio: ["ignore", log, log],
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.once("error", () => {});
    try {
      await this.waitReady(child, started);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Cold start is 12.9–17.9 s to `ready` on a quiet box (§2) and 45 s and more on a loaded
   *  one: wait while the gateway is alive and making progress (readiness.ts), not a fixed time. */
  private async waitReady(child: ChildProcess, started: number): Promise<void> {
    await waitForReady({
      what: `openclaw gateway (pid ${child.pid}) on ${this.httpUrl}`,
      // A lab config with gateway.tls on (faults-tls.test.ts) serves https only, with its own pair.
      ready: async () =>
        (await httpStatus(`${this.httpUrl}/readyz`, 1_000)) === 200 ||
        (await httpStatus(`https://127.0.0.1:${this.port}/readyz`, 1_000)) === 200,
      pid: child.pid as number,
      exited: () => child.exitCode ?? child.signalCode,
      logs: [this.logPath, join(this.labDir, "logs", "openclaw-file.log")],
      startedAt: started,
    });
  }

  /**
   * A hung gateway (`npm run demo -- --break hung`): the whole group stopped with SIGSTOP. The
   * kernel still accepts connections on its port; nothing answers them. `resume()` undoes it.
   */
  pause(): void {
    if (!this.child?.pid || !this.running) throw new Error("the gateway is not running");
    signalGroup(this.child.pid, "SIGSTOP");
    this.pausedNow = true;
  }

  resume(): void {
    if (this.child?.pid && this.pausedNow) signalGroup(this.child.pid, "SIGCONT");
    this.pausedNow = false;
  }

  get paused(): boolean {
    return this.pausedNow && this.running;
  }

  /**
   * SIGTERM to the group, wait for exit, SIGKILL if it lingers. `crash`: SIGKILL at once (exit 137;
   * the lock file it leaves does not block the next start, GATEWAY-FACTS §2), so no shutdown runs
   * in which the gateway is still alive yet no longer admitting connections. Safe to call when
   * stopped.
   */
  async stop(options: { crash?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) {
      this.child = undefined;
      return;
    }
    // A paused group would not act on SIGTERM until continued.
    this.resume();
    let exited = false;
    if (!options.crash) {
      signalGroup(child.pid, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      exited = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    if (!exited) {
      signalGroup(child.pid, "SIGKILL");
      await this.exited;
    }
    // Workers share the group; make sure none outlives the gateway.
    signalGroup(child.pid, "SIGKILL");
    this.child = undefined;
  }

  async restart(options: StartOptions = {}): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  /** Stop, end whatever else still runs in the lab, and delete it (logs included). */
  async dispose(): Promise<void> {
    await this.stop();
    // An OpenClaw process outside the gateway's group wrote into the lab after its removal (its
    // SQLite read-only snapshot's cleanup warning and snapshot folder), leaving the folder behind.
    await endLabProcesses(this.labDir);
    await rm(this.labDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }

  async logTail(chars = LOG_TAIL_CHARS): Promise<string> {
    try {
      return (await readFile(this.logPath, "utf8")).slice(-chars);
    } catch {
      return "(no gateway log)";
    }
  }

  /** The gateway's last `count` log lines: what it was doing. */
  lastLogLines(count = 25): Promise<string> {
    return lastLines(this.logPath, count);
  }
}

/** Never write a token into the log header. */
function redactArgs(args: string[]): string[] {
  return args.map((a, i) => (args[i - 1] === "--token" || args[i - 1] === "--password" ? "***" : a));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Group already gone.
  }
}

/** Kept for its importers; the one implementation is test/support/ports.ts. */
export const freeLoopbackPort = freePort;

/** The status of a GET; over https the certificate is not checked (the lab's is self-signed). */
export function httpStatus(url: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const send = url.startsWith("https:") ? httpsRequest : request;
    const req = send(url, { agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
}
