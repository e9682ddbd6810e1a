import { constants } from "node:os";
import type { ServiceStateData } from "../../contract/catalog.ts";
import { readdir } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { loadAgentPolicy } from "../policy.ts";
import type { ProbeContext } from "./context.ts";
import { execCommand } from "./exec.ts";
import { findPortOwners } from "./host/port-owners.ts";
import { detectSupervisor, type Supervisor, type SupervisorDeclaration, supervisorName } from "./host/supervisor.ts";
import { scanLogText } from "./log-signatures.ts";
import { effectivePort } from "./openclaw-config.ts";
import { budget, type Probe } from "./probe.ts";

/**
 * The service manager's view of the gateway (issue 3, "service manager"): which supervisor runs
 * it, whether that supervisor thinks it is up, how often it restarted it, how its main process
 * last exited (78 = config refusal, 1 = port taken, SIGKILL/137 = killed), and the signature
 * lines of its journal. Read-only: `systemctl show`, `journalctl -n`, `docker inspect`,
 * `docker logs --tail`, `launchctl print`.
 *
 * The supervisor comes from policy.json, else the cgroup of the process on the gateway port,
 * else, when nothing listens (a crash loop), the one systemd unit file named *openclaw*.service.
 */
const JOURNAL_LINES = 300;
const SYSTEMD_PROPERTIES = [
  "Id",
  "LoadState",
  "ActiveState",
  "SubState",
  "Result",
  "NRestarts",
  "MainPID",
  "ExecMainCode",
  "ExecMainStatus",
];

export const probeServiceState: Probe<"service.state"> = async (ctx, _args, run) => {
  const [config, secrets] = await Promise.all([run.readings.config(), run.readings.knownSecrets()]);
  const port = effectivePort(ctx, config).port;
  const owners = (await findPortOwners(ctx.procRoot, port, ctx.env)).owners;
  const listenerPid = owners.find((o) => o.pid !== null)?.pid ?? null;
  const found = await findSupervisor(ctx, listenerPid);
  const base: ServiceStateData = {
    supervisor: found?.kind ?? "unknown",
    source: found?.source ?? "none",
    ...(found && supervisorName(found) ? { unit: supervisorName(found) } : {}),
    listenerPid,
    state: null,
    journal: null,
  };
  if (!found) return { ...base, error: "no gateway listens and no openclaw service unit was found" };
  if (found.kind === "manual") return base;
  const uid = process.getuid?.() ?? 0;
  const env = { ...ctx.env, XDG_RUNTIME_DIR: ctx.env.XDG_RUNTIME_DIR ?? `/run/user/${uid}`, SYSTEMD_PAGER: "" };
  const exec = (argv: string[], share: number) =>
    execCommand(argv[0] as string, argv.slice(1), {
      env,
      timeoutMs: budget(run, (run.remainingMs() - 300) * share),
      signal: run.signal,
      maxOutputBytes: 512 * 1024,
    });

  const { stateArgv, logArgv } = supervisorCommands(found, uid);
  const [stateRun, logRun] = await Promise.all([exec(stateArgv, 0.5), logArgv ? exec(logArgv, 0.5) : null]);
  const command = stateArgv.join(" ");
  let state: ServiceStateData["state"] = null;
  let error = execFailure(stateRun, stateArgv);
  if (!error) {
    state =
      found.kind === "systemd"
        ? parseSystemdShow(stateRun.stdout)
        : found.kind === "container"
          ? parseDockerInspect(stateRun.stdout)
          : parseLaunchctlPrint(stateRun.stdout);
    if (!state) error = `\`${command}\` printed nothing this agent can read: ${lastLine(stateRun.stdout)}`;
  }
  let journal: ServiceStateData["journal"] = null;
  if (logArgv && logRun) {
    const why = execFailure(logRun, logArgv);
    // `docker logs` writes the container's stderr to its stderr: both are the log.
    const text = found.kind === "systemd" ? journalJsonToLines(logRun.stdout) : `${logRun.stdout}\n${logRun.stderr}`;
    const scan = scanLogText(text, secrets);
    journal = {
      command: logArgv.join(" "),
      linesScanned: why ? 0 : scan.linesScanned,
      signatures: why ? [] : scan.signatures,
      ...(why ? { error: why } : {}),
    };
  }
  return { ...base, state, command, journal, ...(error ? { error } : {}) };
};

/** The commands that read the supervisor's state of the gateway and its log (none for launchd). */
function supervisorCommands(
  found: Exclude<Found, { kind: "manual" }>,
  uid: number,
): { stateArgv: string[]; logArgv: string[] | null } {
  let stateArgv: string[];
  let logArgv: string[] | null;
  switch (found.kind) {
    case "systemd": {
      const scope = found.user ? ["--user"] : [];
      stateArgv = [
        "systemctl",
        ...scope,
        "show",
        found.unit,
        "--no-pager",
        `--property=${SYSTEMD_PROPERTIES.join(",")}`,
      ];
      logArgv = ["journalctl", ...scope, "-u", found.unit, "-n", String(JOURNAL_LINES), "--no-pager", "-o", "json"];
      break;
    }
    case "container":
      stateArgv = [found.engine, "inspect", "--format", "{{json .State}} {{.RestartCount}}", found.container];
      logArgv = [found.engine, "logs", "--timestamps", "--tail", String(JOURNAL_LINES), found.container];
      break;
    case "launchd":
      stateArgv = ["launchctl", "print", `${found.domain ?? (uid === 0 ? "system" : `gui/${uid}`)}/${found.label}`];
      logArgv = null; // launchd writes to the plist's StandardErrorPath, which the file-log probe reads.
      break;
  }
  return { stateArgv, logArgv };
}

/** Why a supervisor command gave nothing usable, or null when it ran and exited 0. */
function execFailure(r: Awaited<ReturnType<typeof execCommand>>, argv: string[]): string | null {
  return r.spawnError
    ? `${argv[0]} is not available (${r.spawnError.code})`
    : r.timedOut
      ? `\`${argv.join(" ")}\` timed out`
      : r.exitCode !== 0
        ? `\`${argv.join(" ")}\` exited ${r.exitCode ?? r.exitSignal}: ${lastLine(r.stderr || r.stdout)}`
        : null;
}

type Found = SupervisorDeclaration & { source: Supervisor["source"] | "unit-file" };

async function findSupervisor(ctx: ProbeContext, listenerPid: number | null): Promise<Found | null> {
  const policy = ctx.agentDir ? loadAgentPolicy(ctx.agentDir) : null;
  if (policy?.ok && policy.policy.supervisor) return { ...policy.policy.supervisor, source: "declared" };
  if (listenerPid !== null) return detectSupervisor(ctx.procRoot, listenerPid);
  // Nothing listens: a unit that keeps failing is what to look at. Only an unambiguous one.
  const units = new Set<string>();
  let user = false;
  for (const dir of ctx.serviceUnitDirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      if (/openclaw/i.test(n) && /^[\w@.:-]+\.service$/.test(n) && !n.includes("@.")) {
        if (!units.has(n) && units.size === 0) user = /systemd\/user$/.test(dir);
        units.add(n);
      }
    }
  }
  const [only] = units;
  return units.size === 1 && only ? { kind: "systemd", unit: only, user, source: "unit-file" } : null;
}

/**
 * `journalctl -o json`: one object per entry; MESSAGE is a string, or an array of bytes when it
 * is not valid UTF-8. Becomes `<ISO time> <message>` lines, which the log scanner dates.
 */
export function journalJsonToLines(text: string): string {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      out.push(raw); // Counted as skipped by the scanner.
      continue;
    }
    const msg = entry.MESSAGE;
    const message =
      typeof msg === "string"
        ? msg
        : Array.isArray(msg) && msg.every((b) => typeof b === "number")
          ? new TextDecoder().decode(new Uint8Array(msg as number[]))
          : null;
    if (message === null) continue;
    const us = Number(entry.__REALTIME_TIMESTAMP);
    const time = Number.isFinite(us) && us > 0 ? `${isoTime(us / 1000)} ` : "";
    // The gateway stamps its own console lines; then that time is the line's time.
    for (const line of message.split("\n")) out.push(/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(line) ? line : `${time}${line}`);
  }
  return out.join("\n");
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.slice(0, 200) ?? "";
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** `systemctl show --property=…` prints `Key=Value` lines. ExecMainCode: 1 exited, 2 killed, 3 dumped. */
export function parseSystemdShow(text: string): ServiceStateData["state"] {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const active = kv.get("ActiveState");
  if (!active) return null;
  const num = (k: string) => {
    const v = kv.get(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  const code = num("ExecMainCode");
  const status = num("ExecMainStatus");
  const mainPid = num("MainPID");
  return {
    active: kv.get("LoadState") === "not-found" ? "not-found" : active,
    sub: kv.get("SubState") ?? null,
    restarts: num("NRestarts"),
    mainPid: mainPid === 0 ? null : mainPid,
    lastExit:
      code === null || code === 0 || status === null
        ? null
        : code === 1
          ? { code: status, signal: null }
          : { code: null, signal: SIGNAL_NAMES.get(status) ?? `signal ${status}` },
    result: kv.get("Result") ?? null,
  };
}

/** `docker inspect --format '{{json .State}} {{.RestartCount}}'`. */
export function parseDockerInspect(text: string): ServiceStateData["state"] {
  const m = /^(\{.*\})\s+(\d+)\s*$/s.exec(text.trim());
  if (!m) return null;
  let st: Record<string, unknown>;
  try {
    st = JSON.parse(m[1] as string) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof st.Status !== "string") return null;
  const exit = typeof st.ExitCode === "number" ? st.ExitCode : null;
  const pid = typeof st.Pid === "number" && st.Pid > 0 ? st.Pid : null;
  return {
    active: st.Status,
    sub: st.Restarting === true ? "restarting" : null,
    restarts: Number(m[2]),
    mainPid: pid,
    // Docker reports a killed process as 128+signal.
    lastExit:
      exit === null || (st.Status === "running" && exit === 0)
        ? null
        : exit > 128
          ? { code: exit, signal: SIGNAL_NAMES.get(exit - 128) ?? null }
          : { code: exit, signal: null },
    result: st.OOMKilled === true ? "oom-killed" : null,
  };
}

/** `launchctl print <domain>/<label>`: `state = running`, `runs = 3`, `pid = 123`, `last exit code = 78`. */
export function parseLaunchctlPrint(text: string): ServiceStateData["state"] {
  const field = (name: string) => new RegExp(`^\\s*${name} = (.+)$`, "m").exec(text)?.[1]?.trim();
  const active = field("state");
  if (!active) return null;
  const runs = field("runs");
  const pid = field("pid");
  const last = field("last exit code");
  // `78: EX_CONFIG`, `0`, `(never exited)`, or a signal name.
  const lastCode = last && /^-?\d+\b/.test(last) ? Number.parseInt(last, 10) : null;
  const signal = last ? (/^\(?(SIG[A-Z]+)/.exec(last)?.[1] ?? null) : null;
  return {
    active,
    sub: null,
    // launchd counts runs, the first one included.
    restarts: runs && /^\d+$/.test(runs) ? Math.max(0, Number(runs) - 1) : null,
    mainPid: pid && /^\d+$/.test(pid) ? Number(pid) : null,
    lastExit: lastCode !== null || signal ? { code: lastCode, signal } : null,
    result: null,
  };
}
