import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { GatewayRestartData } from "../../contract/catalog.ts";
import { readFile, readlink } from "../fs-async.ts";
import { monotonicMs } from "../monotonic.ts";
import { loadAgentPolicy } from "../policy.ts";
import type { ProbeContext } from "./context.ts";
import { execCommand } from "./exec.ts";
import { httpGet } from "./gateway-http.ts";
import { type GatewayTarget, resolveGatewayTarget } from "./gateway-target.ts";
import { findPortOwners } from "./host/port-owners.ts";
import { readEnviron } from "./host/proc-processes.ts";
import { detectSupervisor, type Supervisor, supervisorName, supervisorRestartCommand } from "./host/supervisor.ts";
import { passMutatingGate } from "./mutating-gate.ts";
import { effectivePort } from "./openclaw-config.ts";
import type { Probe, ProbeRun } from "./probe.ts";

const POLL_MS = 200;

/**
 * The ordered restart. Refuses (and touches nothing) unless the approval verifies against the
 * pinned control-plane key for this host and this step, unused and unexpired, and the host's
 * own policy.json allows `gateway.restart`. A supervised gateway (systemd, launchd, container:
 * declared in policy.json or detected from its cgroup) is restarted through its supervisor.
 * For a gateway run by hand: SIGTERM, wait
 * until the process is gone and the port free, relaunch `openclaw gateway run --port <port>`
 * with the env and cwd the old process had (/proc), detached, and wait for /readyz.
 *
 * The gateway overwrites its argv with its process title (`openclaw-gateway`), so its original
 * arguments cannot be read back: the relaunch takes the port and everything else from the
 * config and the original env, which also drops a `--token` override (token drift, §6a).
 */
export const probeGatewayRestart: Probe<"gateway.restart"> = async (ctx, args, run) => {
  const config = await run.readings.config();
  const target = await resolveGatewayTarget(ctx, run.readings);
  const base: GatewayRestartData = { performed: false, supervisor: "unknown", oldPid: null, newPid: null };
  const gate = await passMutatingGate(ctx, "gateway.restart", args.approval);
  if (!gate.ok) return { ...base, refused: gate.refused, ...(gate.approver ? { approver: gate.approver } : {}) };
  return restartApproved(ctx, run, { approver: gate.approver, target, config });
};

/**
 * The restart itself, once a mutating gate has passed (`gateway.restart`'s, or `gateway.switch`'s,
 * which restarts the gateway onto the version it switched to). `supervisedOnly`: a gateway run by
 * hand is refused rather than relaunched (the switch needs a supervisor whose unit runs the
 * versions folder's `current`; a manual relaunch would start the agent's own `openclaw`).
 */
export async function restartApproved(
  ctx: ProbeContext,
  run: ProbeRun,
  o: {
    approver: string;
    target: GatewayTarget;
    config: Awaited<ReturnType<ProbeRun["readings"]["config"]>>;
    supervisedOnly?: boolean;
  },
): Promise<GatewayRestartData> {
  const { target, config } = o;
  const base: GatewayRestartData = { performed: false, supervisor: "unknown", oldPid: null, newPid: null };
  const gate = { approver: o.approver };
  const agentDir = ctx.agentDir as string;

  const port = effectivePort(ctx, config).port;
  const owners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners.filter((o) => o.pid !== null);
  const pids = [...new Set(owners.map((o) => o.pid as number))];
  const [pid] = pids;
  const policy = loadAgentPolicy(agentDir);
  const declared = policy.ok ? policy.policy.supervisor : undefined;
  if (pid === undefined && o.supervisedOnly && declared && declared.kind !== "manual") {
    // A switch onto a version that did not start, switched back: nothing listens, and the
    // declared supervisor starts the gateway again from `current` (a restart of a failed unit
    // starts it).
    return restartSupervised(ctx, run, {
      pid: null,
      port,
      supervisor: { ...declared, source: "declared" },
      approver: gate.approver,
      target,
    });
  }
  if (pid === undefined || pids.length !== 1) {
    return {
      ...base,
      approver: gate.approver,
      refused:
        pids.length === 0
          ? `nothing listens on port ${port}`
          : `several processes listen on port ${port}: ${pids.join(", ")}`,
    };
  }
  const draining = await drainingNow(target);
  if (draining) {
    return {
      ...base,
      approver: gate.approver,
      refused: `the gateway is already draining for a stop or restart (${draining}): not restarted over its drain`,
    };
  }
  const supervisor: Supervisor = declared
    ? { ...declared, source: "declared" }
    : await detectSupervisor(ctx.procRoot, pid);
  if (supervisor.kind !== "manual") {
    return restartSupervised(ctx, run, { pid, port, supervisor, approver: gate.approver, target });
  }
  if (o.supervisedOnly)
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      approver: gate.approver,
      refused:
        "the gateway is run by hand: a switch needs a supervisor (systemd, launchd, a container) whose unit runs the versions folder's `current`",
    };
  return restartManual(ctx, run, { pid, port, approver: gate.approver, target, base });
}

/**
 * No supervisor: SIGTERM the old process, wait for it to exit and the port to be free, relaunch
 * `openclaw gateway run` with its env and cwd, detached, and wait for /readyz.
 */
async function restartManual(
  ctx: ProbeContext,
  run: ProbeRun,
  o: {
    pid: number;
    port: number;
    approver: GatewayRestartData["approver"];
    target: GatewayTarget;
    base: GatewayRestartData;
  },
): Promise<GatewayRestartData> {
  const { pid, port, approver, target, base } = o;
  const env = await readEnviron(ctx.procRoot, pid);
  const cwd = await readlink(join(ctx.procRoot, String(pid), "cwd")).catch(() => undefined);
  if (!env || !cwd) {
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      approver,
      refused: "cannot read the gateway's environment or working directory (/proc)",
    };
  }
  const command = [ctx.openclawBin, "gateway", "run", "--port", String(port)];
  const started = monotonicMs();
  process.kill(pid, "SIGTERM");
  const left = () => run.remainingMs() - 500;
  if (!(await until(async () => !(await alive(ctx.procRoot, pid)), left()))) {
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      command,
      approver,
      error: `pid ${pid} did not exit after SIGTERM`,
    };
  }
  const exitedAfterMs = Math.round(monotonicMs() - started);
  const portFree = await until(
    async () => (await findPortOwners(ctx.procRoot, port, ctx.env)).owners.length === 0,
    left(),
  );
  if (!portFree) {
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      command,
      exitedAfterMs,
      approver,
      error: `port ${port} still busy after the old gateway exited`,
    };
  }
  relaunchDetached(ctx, command, cwd, env);
  const ready = await until(async () => (await httpStatus(target, "/readyz")) === 200, left());
  const newOwners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners;
  const newPid = newOwners.find((o) => o.pid !== null)?.pid ?? null;
  return {
    performed: true,
    supervisor: "manual",
    oldPid: pid,
    newPid,
    command,
    exitedAfterMs,
    approver,
    ...(ready
      ? { readyAfterMs: Math.round(monotonicMs() - started) }
      : { error: "the relaunched gateway did not report ready (/readyz) in time" }),
  };
}

/** Starts the gateway detached from the agent, its output appended to clawops-relaunch.log. */
function relaunchDetached(ctx: ProbeContext, command: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const logDir = join(ctx.stateDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const out = openSync(join(logDir, "clawops-relaunch.log"), "a");
  try {
    const bin = command[0] ?? "openclaw";
    const child = spawn(bin, command.slice(1), { cwd, env, detached: true, stdio: ["ignore", out, out] });
    child.on("error", () => {});
    child.unref();
  } finally {
    closeSync(out);
  }
}

/**
 * Restart through systemd, launchd or the container engine: their restart is already ordered
 * (stop, wait for the main process to exit, start). The agent then checks it for itself: the old
 * pid gone, a new pid listening on the port, /readyz 200.
 */
async function restartSupervised(
  ctx: ProbeContext,
  run: ProbeRun,
  o: { pid: number | null; port: number; supervisor: Supervisor; approver: string; target: GatewayTarget },
): Promise<GatewayRestartData> {
  const uid = process.getuid?.() ?? 0;
  const command = supervisorRestartCommand(o.supervisor, uid) ?? [];
  const base: GatewayRestartData = {
    performed: false,
    supervisor: o.supervisor.kind,
    supervisorSource: o.supervisor.source,
    oldPid: o.pid,
    newPid: null,
    command,
    approver: o.approver,
    ...(supervisorName(o.supervisor) ? { unit: supervisorName(o.supervisor) } : {}),
  };
  const [file, ...args] = command;
  if (!file) return { ...base, error: "no restart command for this supervisor" };
  const left = () => run.remainingMs() - 500;
  const started = monotonicMs();
  // `systemctl --user` finds the user manager through XDG_RUNTIME_DIR, which an agent started by
  // a system unit does not have.
  const env = { ...ctx.env, XDG_RUNTIME_DIR: ctx.env.XDG_RUNTIME_DIR ?? `/run/user/${uid}` };
  const res = await execCommand(file, args, { env, timeoutMs: Math.max(1_000, left()), signal: run.signal });
  if (res.spawnError) {
    return {
      ...base,
      error: `${file} could not be started (${res.spawnError.code}): is ${o.supervisor.kind} on this host?`,
    };
  }
  if (res.timedOut || res.exitCode !== 0) {
    const said = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-3).join(" / ").slice(0, 300);
    const how = res.timedOut ? "did not finish in time" : `exited ${res.exitCode ?? res.exitSignal}`;
    // The supervisor may have stopped the gateway before failing: say whether it still runs.
    const still = o.pid !== null && (await alive(ctx.procRoot, o.pid));
    return {
      ...base,
      performed: !still,
      error: `\`${command.join(" ")}\` ${how}${said ? `: ${said}` : ""}${still ? " (the gateway was not touched)" : " (the old gateway is gone)"}`,
    };
  }
  const old = o.pid;
  const exited = old === null || (await until(async () => !(await alive(ctx.procRoot, old)), left()));
  const exitedAfterMs = Math.round(monotonicMs() - started);
  if (!exited) {
    return {
      ...base,
      exitedAfterMs,
      error: `\`${command.join(" ")}\` succeeded but pid ${o.pid} still runs: the supervisor does not own this process`,
    };
  }
  let newPid: number | null = null;
  const ready = await until(async () => {
    const owners = (await findPortOwners(ctx.procRoot, o.port, ctx.env)).owners;
    newPid = owners.find((w) => w.pid !== null && w.pid !== o.pid)?.pid ?? null;
    return newPid !== null && (await httpStatus(o.target, "/readyz")) === 200;
  }, left());
  return {
    ...base,
    performed: true,
    newPid,
    exitedAfterMs,
    ...(ready
      ? { readyAfterMs: Math.round(monotonicMs() - started) }
      : {
          error: `${o.supervisor.kind} restarted it, but no new gateway reported ready (/readyz) on port ${o.port} in time`,
        }),
  };
}

async function alive(procRoot: string, pid: number): Promise<boolean> {
  const stat = await readFile(join(procRoot, String(pid), "stat"), "utf8").catch(() => null);
  if (stat === null) return false;
  // A zombie has exited; it only waits for its parent to reap it.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = monotonicMs() + Math.max(0, timeoutMs);
  for (;;) {
    if (await check()) return true;
    if (monotonicMs() > end) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The status of a GET, or null when nothing answered in 2 s (Node's http client, as `gateway.http`: no `fetch`, whose undici stays resident once loaded). */
async function httpStatus(target: GatewayTarget, path: string): Promise<number | null> {
  return (await httpGet(`${target.httpUrl}${path}`, 2_000, undefined, target.tls?.sha256 ?? undefined)).status;
}

/**
 * `/readyz` 503 with `gateway-draining` (OpenClaw 2026.9.6 server-start-*.mjs): a stop or restart
 * is already draining active work. A restart over it would cut that work off; in words, or null.
 */
async function drainingNow(target: GatewayTarget): Promise<string | null> {
  const r = await httpGet(`${target.httpUrl}/readyz`, 2_000, undefined, target.tls?.sha256 ?? undefined);
  const failing = (r.body as { failing?: unknown } | undefined)?.failing;
  if (r.status !== 503 || !Array.isArray(failing) || !failing.includes("gateway-draining")) return null;
  return `/readyz 503 ${JSON.stringify({ failing })}`;
}
