import type { ChildProcess } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import JSON5 from "json5";
import type { StepResult } from "../../src/contract/catalog.ts";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { decodeOneShot, formatStepSpec } from "../../src/contract/ssm-output.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import { AGENT_MAIN } from "./agent-process.ts";
import type { GatewayDescriptor } from "./gateway/descriptor.ts";
import { waitForReady } from "./gateway/readiness.ts";
import { exitOf, killGroup, type Netns } from "./netns.ts";

/**
 * A second real gateway inside a netns (test/support/netns.ts): own HOME, state dir, config
 * and file log, the shared lab's `gateway` section copied and changed per fault. Inside the
 * netns nothing else listens, so the default port is free and a `lan` bind reaches nothing.
 * The real agent runs there too (`clawops-agent oneshot`, the SSM path), as on the host.
 */
const WS_CONNECT = fileURLToPath(new URL("./ws-connect.ts", import.meta.url));
export const NETNS_GATEWAY_PORT = 18789;

export type NetnsLab = {
  dir: string;
  configPath: string;
  fileLog: string;
  token: string | undefined;
  env: Record<string, string>;
};

export async function createNetnsLab(
  shared: GatewayDescriptor,
  dir: string,
  gateway: (copied: Record<string, unknown>) => Record<string, unknown>,
): Promise<NetnsLab> {
  const home = join(dir, "home");
  const state = join(dir, "state");
  for (const d of [home, state, join(dir, "logs")]) await mkdir(d, { recursive: true });
  const original = JSON5.parse(await readFile(shared.configPath, "utf8")) as { gateway: Record<string, unknown> };
  const gatewaySection = gateway({ ...original.gateway, port: NETNS_GATEWAY_PORT });
  const configPath = join(state, "openclaw.json");
  const fileLog = join(dir, "logs", "openclaw-file.log");
  const config = { gateway: gatewaySection, logging: { file: fileLog } };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const auth = gatewaySection.auth as { token?: string } | undefined;
  return {
    dir,
    configPath,
    fileLog,
    token: auth?.token,
    env: {
      HOME: home,
      OPENCLAW_STATE_DIR: state,
      OPENCLAW_CONFIG_PATH: configPath,
      PATH: shared.env.PATH,
      NO_COLOR: "1",
    },
  };
}

/**
 * A healthy host's lab inside a netns: the shared lab's config whole (its agents, plugins and
 * skills settings, what keeps the shared gateway healthy without model credentials) at this
 * lab's own paths, port and file log, and a copy of its workspace. For a test that needs a
 * host like the shared one behind a network link of its own (test/gateway/agent-lost.test.ts).
 */
export async function createNetnsHostLab(shared: GatewayDescriptor, dir: string): Promise<NetnsLab> {
  const lab = await createNetnsLab(shared, dir, (g) => g);
  // Every path in the shared config is under its lab folder: the same layout here.
  const config = JSON5.parse((await readFile(shared.configPath, "utf8")).split(shared.labDir).join(dir)) as {
    gateway: Record<string, unknown>;
    logging?: Record<string, unknown>;
  };
  config.gateway = { ...config.gateway, port: NETNS_GATEWAY_PORT };
  config.logging = { ...config.logging, file: lab.fileLog };
  await writeFile(lab.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await cp(join(shared.labDir, "workspace"), join(dir, "workspace"), { recursive: true });
  return lab;
}

export type NetnsGatewayRun = { child: ChildProcess; output: () => string };

/** `openclaw gateway run` inside the netns; the env is the lab's alone (no inherited VITEST). */
export function spawnNetnsGateway(ns: Netns, shared: GatewayDescriptor, lab: NetnsLab): NetnsGatewayRun {
  const child = ns.spawn(shared.openclawBin, ["gateway", "run", "--port", String(NETNS_GATEWAY_PORT)], {
    env: { ...lab.env, FORCE_COLOR: "0" },
    cwd: lab.dir,
  });
  let output = "";
  const add = (d: Buffer) => {
    output = (output + d.toString()).slice(-64_000);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return { child, output: () => output };
}

/** Resolves with the exit code, or SIGKILLs the group at `timeoutMs` and resolves null. */
export function exitCode(run: NetnsGatewayRun, timeoutMs: number): Promise<number | null> {
  return exitOf(run.child, timeoutMs).then(() => run.child.exitCode);
}

/** Waits for the gateway's own `ready` line while it makes progress (readiness.ts): gives up
 *  when it exits, shows no output and no CPU time for `stallMs`, or passes the ceiling. */
export async function waitReady(run: NetnsGatewayRun, stallMs: number): Promise<void> {
  try {
    await waitForReady({
      what: "netns gateway",
      // `2026-11-22T18:20:17.618+00:00 [gateway] ready` on the console.
      ready: async () => /^(?:\S+ )?\[gateway\] (?:gateway )?ready\s*$/m.test(run.output()),
      pid: run.child.pid as number,
      exited: () => run.child.exitCode ?? run.child.signalCode,
      logs: [],
      output: run.output,
      stallMs,
    });
  } catch (err) {
    killGroup(run.child, "SIGKILL");
    throw err;
  }
}

/** The real agent's whole triage catalog, run once inside the netns, decoded and classified. */
export async function triageInNetns(
  ns: Netns,
  shared: GatewayDescriptor,
  lab: NetnsLab,
): Promise<{ results: StepResult[]; classification: Classification; stdout: string }> {
  const r = await ns.run(
    process.execPath,
    [AGENT_MAIN, "oneshot", "--steps", formatStepSpec(TRIAGE_STEPS), "--deadline-ms", "60000"],
    { env: { ...lab.env, CLAWOPS_OPENCLAW_BIN: shared.openclawBin }, cwd: lab.dir, timeoutMs: 90_000 },
  );
  const decoded = decodeOneShot(r.stdout);
  if (r.code !== 0 || decoded.kind !== "done" || decoded.truncated || decoded.invalid > 0)
    throw new Error(`agent oneshot failed (exit ${r.code}, ${decoded.kind}):\n${r.stderr.slice(-3000)}`);
  const classification = classifyResults(
    decoded.results,
    TRIAGE_STEPS.map((s) => s.step),
  );
  return { results: decoded.results, classification, stdout: r.stdout };
}

export type WsConnect = {
  challenged: boolean;
  ok?: boolean;
  /** The gateway's own error frame (`{ code, message, details: { code, reason } }`). */
  error?: { code: string; message: string; details?: { code?: string; reason?: string } };
  close?: { code: number; reason: string };
};

/** One handshake as another client would make it (test/support/ws-connect.ts), from inside the netns. */
export async function wsConnect(
  ns: Netns,
  lab: NetnsLab,
  url: string,
  client: { origin?: string; clientId?: string; mode?: string; device?: boolean } = {},
): Promise<WsConnect> {
  const args = [WS_CONNECT, url];
  if (client.origin) args.push("--origin", client.origin);
  if (client.clientId) args.push("--client-id", client.clientId);
  if (client.mode) args.push("--mode", client.mode);
  if (client.device) args.push("--device");
  const r = await ns.run(process.execPath, args, {
    env: { PATH: lab.env.PATH ?? "", ...(lab.token ? { CLAWOPS_WS_TOKEN: lab.token } : {}) },
    cwd: lab.dir,
    timeoutMs: 30_000,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !line.startsWith("{")) throw new Error(`ws-connect failed (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(line) as WsConnect;
}
