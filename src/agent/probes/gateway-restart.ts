import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { GatewayRestartData } from "../../core/probes/catalog.ts";
import { NonceLedger, verifyApproval } from "../../core/recovery/approval.ts";
import { readAgentConfig } from "../identity.ts";
import { loadApprovalPin, policyRefusal } from "../policy.ts";
import { gatewayTarget } from "./gateway-target.ts";
import { findPortOwners } from "./host/port-owners.ts";
import { readEnviron } from "./host/proc-processes.ts";
import { effectivePort } from "./openclaw-config.ts";
import type { Probe } from "./probe.ts";

/** One ledger per agent process: an approval is good once, whichever job carries it. */
const ledger = new NonceLedger();
const POLL_MS = 200;

/**
 * The ordered restart. Refuses (and touches nothing) unless the approval verifies against the
 * pinned control-plane key for this host and this step, unused and unexpired, and the host's
 * own policy.json allows `gateway.restart`. Then, for a gateway run by hand: SIGTERM, wait
 * until the process is gone and the port free, relaunch `openclaw gateway run --port <port>`
 * with the env and cwd the old process had (/proc), detached, and wait for /readyz.
 *
 * The gateway overwrites its argv with its process title (`openclaw-gateway`), so its original
 * arguments cannot be read back: the relaunch takes the port and everything else from the
 * config and the original env, which also drops a `--token` override (token drift, §6a).
 */
export const probeGatewayRestart: Probe<"gateway.restart"> = async (ctx, args, run) => {
  const config = await run.readings.config();
  const target = gatewayTarget(ctx, config);
  const base: GatewayRestartData = { performed: false, supervisor: "unknown", oldPid: null, newPid: null };
  if (!ctx.agentDir) return { ...base, refused: "the agent has no state folder, so no pinned key or policy" };
  let host: string;
  try {
    host = readAgentConfig(ctx.agentDir).host;
  } catch {
    return { ...base, refused: "the agent is not enrolled (no agent config)" };
  }

  const pinned = loadApprovalPin(ctx.agentDir);
  if (!pinned) return { ...base, refused: "no control-plane approval key is pinned (enroll again to pin it)" };
  const check = await verifyApproval(args.approval, {
    publicKey: pinned,
    host,
    step: "gateway.restart",
    now: Date.now(),
    seenNonce: (nonce, exp) => ledger.check(nonce, exp, Date.now()),
  });
  if (!check.ok) return { ...base, refused: `approval refused: ${check.reason}` };
  const denied = policyRefusal(ctx.agentDir, "gateway.restart", host);
  if (denied) return { ...base, refused: denied, approver: check.claims.approver };

  const port = effectivePort(ctx, config).port;
  const owners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners.filter((o) => o.pid !== null);
  const pids = [...new Set(owners.map((o) => o.pid as number))];
  const [pid] = pids;
  if (pid === undefined || pids.length !== 1) {
    return {
      ...base,
      approver: check.claims.approver,
      refused:
        pids.length === 0
          ? `nothing listens on port ${port}`
          : `several processes listen on port ${port}: ${pids.join(", ")}`,
    };
  }
  const supervisor = await detectSupervisor(ctx.procRoot, pid);
  if (supervisor.kind !== "manual") {
    // systemd/launchd/containers: restart through them (not wired yet); never fight a supervisor.
    return {
      ...base,
      supervisor: supervisor.kind,
      oldPid: pid,
      approver: check.claims.approver,
      refused: `the gateway is supervised by ${supervisor.kind}${supervisor.unit ? ` (${supervisor.unit})` : ""}; restart it there (${supervisor.kind === "systemd" ? `systemctl restart ${supervisor.unit}` : supervisor.kind === "launchd" ? "launchctl kickstart -k <label>" : "restart the container"})`,
    };
  }
  const env = await readEnviron(ctx.procRoot, pid);
  const cwd = await readlink(join(ctx.procRoot, String(pid), "cwd")).catch(() => undefined);
  if (!env || !cwd) {
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      approver: check.claims.approver,
      refused: "cannot read the gateway's environment or working directory (/proc)",
    };
  }
  const command = [ctx.openclawBin, "gateway", "run", "--port", String(port)];
  const started = performance.now();
  process.kill(pid, "SIGTERM");
  const left = () => run.remainingMs() - 500;
  if (!(await until(async () => !(await alive(ctx.procRoot, pid)), left()))) {
    return {
      ...base,
      supervisor: "manual",
      oldPid: pid,
      command,
      approver: check.claims.approver,
      error: `pid ${pid} did not exit after SIGTERM`,
    };
  }
  const exitedAfterMs = Math.round(performance.now() - started);
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
      approver: check.claims.approver,
      error: `port ${port} still busy after the old gateway exited`,
    };
  }
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
  const ready = await until(async () => (await httpStatus(`${target.httpUrl}/readyz`)) === 200, left());
  const newOwners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners;
  const newPid = newOwners.find((o) => o.pid !== null)?.pid ?? null;
  return {
    performed: true,
    supervisor: "manual",
    oldPid: pid,
    newPid,
    command,
    exitedAfterMs,
    approver: check.claims.approver,
    ...(ready
      ? { readyAfterMs: Math.round(performance.now() - started) }
      : { error: "the relaunched gateway did not report ready (/readyz) in time" }),
  };
};

async function detectSupervisor(
  procRoot: string,
  pid: number,
): Promise<{ kind: GatewayRestartData["supervisor"]; unit?: string }> {
  const cgroup = await readFile(join(procRoot, String(pid), "cgroup"), "utf8").catch(() => "");
  if (/docker|containerd|kubepods|libpod/.test(cgroup)) return { kind: "container" };
  const unit = /\/([^/\n]*openclaw[^/\n]*\.service)/.exec(cgroup)?.[1];
  if (unit) return { kind: "systemd", unit };
  return { kind: "manual" };
}

async function alive(procRoot: string, pid: number): Promise<boolean> {
  const stat = await readFile(join(procRoot, String(pid), "stat"), "utf8").catch(() => null);
  if (stat === null) return false;
  // A zombie has exited; it only waits for its parent to reap it.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + Math.max(0, timeoutMs);
  for (;;) {
    if (await check()) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function httpStatus(url: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return null;
  }
}
