import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import type { GatewaySwitchData } from "../../contract/catalog.ts";
import { monotonicMs } from "../monotonic.ts";
import { loadAgentPolicy } from "../policy.ts";
import type { ProbeContext } from "./context.ts";
import { execCommand } from "./exec.ts";
import { movePlugins, officialPluginMoves, putPluginsBack } from "./gateway-plugins.ts";
import { restartApproved } from "./gateway-restart.ts";
import { backupFor, backupState, restoreState, type StateBackup } from "./gateway-state-backup.ts";
import { resolveGatewayTarget } from "./gateway-target.ts";
import { findPortOwners } from "./host/port-owners.ts";
import { passMutatingGate } from "./mutating-gate.ts";
import { effectivePort } from "./openclaw-config.ts";
import type { Probe } from "./probe.ts";

/** The link in the versions folder the supervisor's unit runs through. */
export const CURRENT_LINK = "current";

/**
 * `gateway.switch`: the gateway onto `version`, never over the running install. Refuses (and
 * touches nothing) unless the approval verifies for this host and step and policy.json allows
 * `gateway.switch` and names the versions folder. Then:
 *   1. the version installed beside the others when the folder lacks it (`npm install --prefix`
 *      into a hidden folder, renamed into place once npm succeeded: a failed or cut-off install
 *      leaves no folder named after the version);
 *   2. `current` swapped by a rename of a fresh link over it (rename(2) replaces the link
 *      atomically: after a crash `current` names the old version or the new one);
 *   3. the gateway restarted under its supervisor, whose unit runs `current`.
 * A version that does not come up (the restart fails or no new gateway reports ready) is switched
 * straight back to `from` and restarted again: the approval covers leaving the gateway as it was
 * found. Anything judged after a good start (the acceptance, new findings) is the control plane's
 * to decide: a rollback is this step back to `from`, with the second approval of the same press.
 */
export const probeGatewaySwitch: Probe<"gateway.switch"> = async (ctx, args, run) => {
  const gate = await passMutatingGate(ctx, "gateway.switch", args.approval);
  if (!gate.ok)
    return { performed: false, refused: gate.refused, ...(gate.approver ? { approver: gate.approver } : {}) };
  const approver = gate.approver;
  const policy = loadAgentPolicy(ctx.agentDir as string);
  const dir = policy.ok ? policy.policy.gatewayVersions?.dir : undefined;
  if (!dir)
    return {
      performed: false,
      approver,
      refused: `policy.json names no versions folder: add "gatewayVersions": { "dir": "/abs/path" } (the folder whose \`${CURRENT_LINK}\` link the gateway's unit runs)`,
    };
  const link = join(dir, CURRENT_LINK);
  let from: string;
  try {
    from = basename(readlinkSync(link));
  } catch (err) {
    return {
      performed: false,
      approver,
      dir,
      refused: `${link} is not a link to a version folder (${(err as NodeJS.ErrnoException).code ?? String(err)}): the gateway is not run from the versions folder`,
    };
  }
  const base: GatewaySwitchData = { performed: false, approver, dir, from, to: args.version };
  const want = join(dir, args.version);
  let install: GatewaySwitchData["install"] = { ran: false };
  if (installedVersion(want) !== args.version) {
    if (!args.install)
      return { ...base, refused: `${want} does not hold openclaw ${args.version}: nothing to switch back to` };
    const started = monotonicMs();
    const partial = join(dir, `.${args.version}.partial-${randomBytes(4).toString("hex")}`);
    const command = ["npm", "install", "--prefix", partial, `openclaw@${args.version}`, "--no-audit", "--no-fund"];
    const res = await execCommand(command[0] as string, command.slice(1), {
      env: ctx.env,
      timeoutMs: Math.max(1_000, run.remainingMs() - 100_000),
      signal: run.signal,
    });
    install = { ran: true, ms: Math.round(monotonicMs() - started), command };
    const got = res.exitCode === 0 ? installedVersion(partial) : null;
    if (got !== args.version) {
      rmSync(partial, { recursive: true, force: true });
      const said = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-4).join(" / ").slice(0, 400);
      return {
        ...base,
        install: { ...install, outputTail: said },
        error: res.spawnError
          ? `npm could not be started (${res.spawnError.code})`
          : res.timedOut
            ? "npm install did not finish in time"
            : `npm install ${res.exitCode === 0 ? `left openclaw ${got ?? "missing"}, not ${args.version}` : `exited ${res.exitCode ?? res.exitSignal}`}; the running gateway was not touched`,
      };
    }
    renameSync(partial, want);
  }
  const switched = from !== args.version;
  if (switched && args.install) {
    try {
      const b: StateBackup = await backupState(ctx, dir, from, args.version);
      base.stateBackup = { takenAt: b.takenAt, databases: b.databases.length, config: b.config };
    } catch (err) {
      return {
        ...base,
        install,
        error: `the state's backup failed (${String(err).slice(0, 200)}); nothing was switched`,
      };
    }
  }
  if (switched && args.install) {
    // Official plugins onto the target's release, before `current` moves: a failure puts them
    // back and switches nothing.
    try {
      const moved = await movePlugins(ctx, dir, from, officialPluginMoves(ctx.stateDir, args.version), run);
      if (moved.length > 0) base.plugins = { moved: moved.map(({ name, from, to }) => ({ name, from, to })) };
    } catch (err) {
      return {
        ...base,
        install,
        error: `the official plugins could not be moved with the core (${String(err).slice(0, 300)}); they are as they were, nothing was switched`,
      };
    }
  } else if (switched) {
    // A switch back: the plugins as they were before the switch forward it undoes.
    const back = putPluginsBack(dir, args.version, from);
    if (back && back.length > 0)
      base.plugins = {
        moved: back.map(({ name, from: was, to }) => ({ name, from: to, to: was ?? "?" })),
        putBack: true,
      };
  }
  if (switched) swapLink(dir, args.version);
  const config = await run.readings.config();
  // The gateway as its own clients reach it (wss/https pinned when it serves TLS, issue 46).
  const target = await resolveGatewayTarget(ctx, run.readings);
  const restartOn = () => restartApproved(ctx, run, { approver, target, config, supervisedOnly: true });
  const restart = await restartOn();
  const failed = restart.error ?? restart.refused;
  if (!failed) return { ...base, install, switched, restart, performed: restart.performed };
  const error = `the restart on ${args.version}: ${failed}`;
  if (!switched || restart.refused) {
    // Refused before anything was restarted: `current` goes back at once, the gateway never left it.
    if (switched) {
      swapLink(dir, from);
      if (args.install && base.plugins && putPluginsBack(dir, from, args.version)) base.plugins.putBack = true;
    }
    return { ...base, install, switched: false, restart, error };
  }
  // The version did not come up. Switching back after `from` ran, that is OpenClaw 2026.9.5
  // refusing the state database 2026.9.6 migrated ("database schema(s) are newer than this
  // build"): the state from before that switch goes back, once nothing listens any more.
  const kept = args.install ? null : backupFor(dir, args.version, from);
  let note = "";
  if (kept) {
    const held = await stateHolders(ctx, effectivePort(ctx, config).port);
    if (held) note = `; the state was not put back: ${held}`;
    else {
      let put: Awaited<ReturnType<typeof restoreState>> | null = null;
      try {
        put = await restoreState(ctx, dir, kept);
      } catch (err) {
        note = `; the state from before the switch could not be put back (${String(err).slice(0, 200)}), nothing of it was changed`;
      }
      if (put) {
        const restored = await restartOn();
        const stateRestored = {
          takenAt: kept.takenAt,
          databases: kept.databases.length,
          config: kept.config,
          aside: put.aside.length,
        };
        if (!restored.error && !restored.refused)
          return { ...base, install, switched, restart: restored, performed: restored.performed, stateRestored };
        // Not that either: the newer state goes back with the newer version, nothing lost.
        put.undo();
        note = `; with the state from before the switch put back it did not start either (${restored.error ?? restored.refused}), so the newer state went back too`;
      }
    }
  } else if (!args.install) note = `; no state from before the switch to ${from} is kept`;
  // Back to what ran, so the host is not left down, with the plugins it ran with.
  swapLink(dir, from);
  if (args.install && base.plugins && putPluginsBack(dir, from, args.version)) base.plugins.putBack = true;
  const again = await restartOn();
  return {
    ...base,
    install,
    switched: false,
    restart,
    reverted: { to: from, restart: again },
    error: `${error}${note}`,
  };
};

/**
 * Whether anything still holds the gateway's state, in words, or null: a process on its port, or
 * a live owner of one of OpenClaw's gateway locks (`<state dir>/tmp/openclaw-<uid>/gateway.*.lock`,
 * JSON with the owner's pid, state-locks.ts), which a gateway takes before it binds its port and
 * runs its migrations. The state is put back only when neither is there.
 */
async function stateHolders(ctx: ProbeContext, port: number): Promise<string | null> {
  const owners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners.map((o) => o.pid ?? "?");
  if (owners.length > 0) return `port ${port} is still held (pid ${owners.join(", ")})`;
  const tmp = join(ctx.stateDir, "tmp");
  for (const sub of readdirSafe(tmp).filter((n) => /^openclaw-\d+$/.test(n)))
    for (const name of readdirSafe(join(tmp, sub)).filter((n) => /^gateway\..*lock$/.test(n))) {
      let pid: unknown;
      try {
        pid = (JSON.parse(readFileSync(join(tmp, sub, name), "utf8").trim()) as { pid?: unknown }).pid;
      } catch {
        continue;
      }
      if (typeof pid === "number" && Number.isInteger(pid) && pid > 0 && liveProcess(ctx.procRoot, pid))
        return `pid ${pid} holds ${join(tmp, sub, name)}`;
    }
  return null;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function liveProcess(procRoot: string, pid: number): boolean {
  try {
    const stat = readFileSync(join(procRoot, String(pid), "stat"), "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The `version` field of `<dir>/node_modules/openclaw/package.json`, or null. */
export function installedVersion(dir: string): string | null {
  try {
    const v = (
      JSON.parse(readFileSync(join(dir, "node_modules", "openclaw", "package.json"), "utf8")) as { version?: unknown }
    ).version;
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

/** A new relative link beside `current`, renamed over it: one atomic replace. */
export function swapLink(dir: string, version: string): void {
  const tmp = join(dir, `.${CURRENT_LINK}.${randomBytes(4).toString("hex")}`);
  symlinkSync(version, tmp);
  try {
    renameSync(tmp, join(dir, CURRENT_LINK));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
