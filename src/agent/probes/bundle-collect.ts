import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { BUNDLE_MAX_WIRE_BYTES } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readdir, readFile, stat } from "../fs-async.ts";
import { compareCodeUnits, isoTime } from "../icu-free.ts";
import { BundleBuilder } from "./bundle-builder.ts";
import { isSecretEnvName, maskDotenv } from "./bundle-dotenv.ts";
import { readLogs } from "./bundle-log-read.ts";
import { sanitize } from "./bundle-sanitize.ts";
import { analyseLog, summariseCloses, type TimelineEvent } from "./bundle-timeline.ts";
import { collectVersions } from "./bundle-versions.ts";
import type { ProbeContext } from "./context.ts";
import {
  type DoctorOutputReading,
  doctorCache,
  doctorCacheKey,
  REFRESH_AFTER_TRIAGE_MIN_AGE_MS,
} from "./doctor-cache.ts";
import { errnoCode } from "./errors.ts";
import { type ExecResult, execCommand } from "./exec.ts";
import { logCandidates } from "./logs.ts";
import type { ConfigReading } from "./openclaw-config.ts";
import { budget, type Probe, type ProbeRun } from "./probe.ts";
import { redactDeep } from "./redact.ts";

/**
 * `bundle.collect`: the minimal repro bundle of the seeds (connection-error article §5), read
 * on the host and redacted before it leaves: version triple, a UTC timeline of close codes and
 * the changes before them, log excerpts around the last gateway start and the last disconnect,
 * the redacted config, the agent's OpenClaw env, and the raw output of `status --all`,
 * `gateway status --json` and `doctor --lint --json`. Read-only; every file is bounded and
 * says whether it is complete, and why not.
 */

/** How much of the log tail is read at most (the newest bytes). */
export const BUNDLE_LOG_READ_BYTES = 8 * 1024 * 1024;
const DEFAULT_CONTEXT_LINES = 200;
const MAX_CLI_OUTPUT = 256 * 1024;
const MAX_CONFIG_BYTES = 128 * 1024;
const MAX_POLICY_LINES = 200;
/** Leave this much of the step budget to redact, cap and send. */
const PACKAGING_MARGIN_MS = 3_000;

const CLI_COMMANDS: { name: string; args: string[]; wantMs: number; doctor?: true }[] = [
  { name: "cli/status-all.txt", args: ["status", "--all"], wantMs: 20_000 },
  { name: "cli/gateway-status.json", args: ["gateway", "status", "--json"], wantMs: 15_000 },
  { name: "cli/doctor-lint.json", args: ["doctor", "--lint", "--json"], wantMs: 25_000, doctor: true },
];

/** Env vars worth showing: OpenClaw's own, the agent's, and the few that change CLI behaviour. */
const ENV_NAME = /^(?:OPENCLAW_|CLAWOPS_|CLAWDBOT_|NODE_OPTIONS$|NODE_ENV$|HOME$|PATH$|ANTHROPIC_|OPENAI_|SLACK_)/;

export const probeBundleCollect: Probe<"bundle.collect"> = async (ctx, args, run) => {
  const [config, secrets] = await Promise.all([run.readings.config(), run.readings.knownSecrets()]);
  const out = new BundleBuilder(secrets);
  const cliDone = Promise.all(CLI_COMMANDS.map((cmd) => collectCli(ctx, run, out, cmd, config)));
  const versions = collectVersionsFile(ctx, run, out);
  const env = collectEnv(ctx, out);
  const dotenv = collectDotenv(ctx, out);
  const configFile = collectConfig(config, secrets, out);
  // The logs are read last, so they include what the CLI commands (and this job's other
  // probes) made the gateway log; the commands' timeouts leave room for it.
  const logs = cliDone.then(() => collectLogs(ctx, config.logFile, args.contextLines ?? DEFAULT_CONTEXT_LINES, out));

  const [configEvents, logResult, installEvents] = await Promise.all([
    configFile,
    logs,
    versions,
    env,
    cliDone,
    dotenv,
  ]).then(([c, l, v]) => [c, l, v] as const);
  addTimeline(out, [...configEvents, ...installEvents, ...logResult.events], logResult.notes);
  await out.redactWithRuleSet();
  return out.finish(args.maxBytes ?? BUNDLE_MAX_WIRE_BYTES);
};

/**
 * One `openclaw …` command's output, within the step's budget less the packaging margin. Doctor
 * is not run a second time on the host when the agent has its output for what doctor reads now
 * (the doctor cache's key): from a reading under a minute old (a triage just before the bundle),
 * or from the run under way (the agent's refresher after a config change), joined.
 */
async function collectCli(
  ctx: ProbeContext,
  run: ProbeRun,
  out: BundleBuilder,
  cmd: (typeof CLI_COMMANDS)[number],
  config: ConfigReading,
): Promise<void> {
  const timeoutMs = Math.max(100, Math.round(budget(run, cmd.wantMs) - PACKAGING_MARGIN_MS));
  if (cmd.doctor) {
    const shared = await sharedDoctorOutput(ctx, config, timeoutMs, run.signal);
    if (shared === "late") {
      out.add(cmd.name, `$ openclaw ${cmd.args.join(" ")}\n# the agent's run under way, joined, did not finish\n`, {
        complete: false,
        reason: `the agent's doctor run under way did not finish within ${timeoutMs} ms`,
      });
      return;
    }
    if (shared) {
      const at = isoTime(shared.finishedAt);
      const from =
        shared.source === "kept"
          ? `the agent's reading of ${at} (nothing doctor reads has changed since)`
          : `the agent's run under way, joined; finished ${at}`;
      addCliFile(out, cmd, shared.output, timeoutMs, from);
      return;
    }
  }
  const r = await execCommand(ctx.openclawBin, cmd.args, {
    env: ctx.env,
    timeoutMs,
    signal: run.signal,
    maxOutputBytes: MAX_CLI_OUTPUT,
  });
  addCliFile(out, cmd, r, timeoutMs);
}

/** Doctor's output the agent has or is taking for the current key; "late" when the joined run outlasts the budget. */
async function sharedDoctorOutput(
  ctx: ProbeContext,
  config: ConfigReading,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<DoctorOutputReading | "late" | undefined> {
  const key = await doctorCacheKey(ctx, config);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), timeoutMs);
    onAbort = () => resolve("late");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([doctorCache.output(ctx, key, REFRESH_AFTER_TRIAGE_MIN_AGE_MS), late]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** A CLI command's file: a header with its exit and time (and where the output came from), its output, bounded. */
function addCliFile(
  out: BundleBuilder,
  cmd: (typeof CLI_COMMANDS)[number],
  r: ExecResult,
  timeoutMs: number,
  from?: string,
): void {
  const exit = `# exit ${r.exitCode ?? r.exitSignal ?? "none"} after ${Math.round(r.durationMs)} ms${from ? `; ${from}` : ""}`;
  const header = `$ openclaw ${cmd.args.join(" ")}\n${exit}\n`;
  if (r.spawnError) {
    out.add(cmd.name, `${header}# could not start: ${r.spawnError.code}: ${r.spawnError.message}\n`, {
      complete: false,
      reason: `openclaw could not be started (${r.spawnError.code})`,
    });
    return;
  }
  const cut = Buffer.byteLength(r.stdout) >= MAX_CLI_OUTPUT;
  const stdout = cut ? Buffer.from(r.stdout).subarray(0, MAX_CLI_OUTPUT).toString() : r.stdout;
  const body = `${header}${sanitize(stdout).text}${r.stderr.trim() ? `\n# stderr\n${sanitize(r.stderr).text}` : ""}`;
  const reason = r.timedOut
    ? from
      ? "did not finish within its deadline; output so far"
      : `did not finish within ${timeoutMs} ms; output so far`
    : r.aborted
      ? "cancelled at the step deadline; output so far"
      : cut
        ? `output cut at ${MAX_CLI_OUTPUT} bytes`
        : undefined;
  out.add(cmd.name, body, reason ? { complete: false, reason } : { complete: true });
}

/** versions.json, and the install time of the gateway package as a timeline event. */
async function collectVersionsFile(ctx: ProbeContext, run: ProbeRun, out: BundleBuilder): Promise<TimelineEvent[]> {
  const v = await collectVersions(ctx.openclawBin, ctx.env, ctx.agentVersion, run.signal, budget(run, 4_000));
  out.add("versions.json", `${JSON.stringify(v, null, 2)}\n`, { complete: true });
  // The installed package's manifest changes on every install or upgrade: its time dates the last one.
  if (!v.gatewayPackage.path) return [];
  try {
    const info = await stat(v.gatewayPackage.path);
    return [
      {
        at: isoTime(info.mtime),
        kind: "upgrade",
        detail: `openclaw ${v.gatewayPackage.version} installed (${v.gatewayPackage.path} modified)`,
      },
    ];
  } catch {
    return [];
  }
}

async function collectEnv(ctx: ProbeContext, out: BundleBuilder): Promise<void> {
  const lines = Object.entries(ctx.env)
    .filter(([k, v]) => ENV_NAME.test(k) && v !== undefined)
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([k, v]) => (isSecretEnvName(k) && v ? `${k}=[REDACTED:secret-pair]` : `${k}=${v}`));
  out.add("env.txt", `${lines.join("\n")}\n`, {
    complete: true,
    reason: "the agent's environment, OpenClaw-related variables only",
  });
}

async function collectDotenv(ctx: ProbeContext, out: BundleBuilder): Promise<void> {
  const path = join(ctx.stateDir, ".env");
  try {
    const raw = (await readFile(path)).subarray(0, MAX_CONFIG_BYTES).toString("utf8");
    const masked = maskDotenv(raw);
    out.add("config/dotenv.txt", masked, { complete: true, reason: `${path}, secret-named values removed` }, raw);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT")
      out.skip("config/dotenv.txt", `could not read ${path}: ${errnoCode(err) ?? errorMessage(err)}`);
  }
}

/** config/openclaw.json, redacted, and its edit and backup times for the timeline. */
async function collectConfig(
  config: ConfigReading,
  secrets: readonly string[],
  out: BundleBuilder,
): Promise<TimelineEvent[]> {
  const configEvents: TimelineEvent[] = [];
  if (!config.exists) {
    out.skip("config/openclaw.json", `no config file at ${config.path}`);
    return configEvents;
  }
  try {
    const raw = await readFile(config.path);
    const info = await stat(config.path);
    configEvents.push({
      at: isoTime(info.mtime),
      kind: "config-edit",
      detail: `${config.path} last modified; sha256:${sha256(raw).slice(0, 16)}`,
    });
    configEvents.push(...(await configBackups(config.path)));
    const text = raw.subarray(0, MAX_CONFIG_BYTES).toString("utf8");
    // A parseable config is redacted by field name too: a secret in an odd format still goes.
    let shown = text;
    try {
      shown = `${JSON.stringify(redactDeep(JSON.parse(text), secrets), null, 2)}\n`;
    } catch {
      // JSON5 or broken JSON: the text patterns still apply.
    }
    out.add(
      "config/openclaw.json",
      shown,
      raw.length > MAX_CONFIG_BYTES
        ? { complete: false, reason: `cut at ${MAX_CONFIG_BYTES} of ${raw.length} bytes` }
        : { complete: true },
      text,
    );
  } catch (err) {
    out.skip("config/openclaw.json", `could not read ${config.path}: ${errnoCode(err) ?? errorMessage(err)}`);
  }
  return configEvents;
}

/** The log excerpts around the last start and the last disconnect, the policy hits, and the log's timeline events. */
async function collectLogs(
  ctx: ProbeContext,
  logFile: ConfigReading["logFile"],
  contextLines: number,
  out: BundleBuilder,
): Promise<{ events: TimelineEvent[]; notes: string[] }> {
  const candidates = logCandidates(logFile, ctx.env.HOME ?? homedir(), new Date());
  const read = await readLogs(candidates, BUNDLE_LOG_READ_BYTES);
  if (read.lines.length === 0) {
    for (const name of ["logs/around-last-start.log", "logs/around-last-disconnect.log"]) {
      out.skip(
        name,
        read.errors.length ? read.errors.join("; ") : `no gateway log found (tried ${candidates.join(", ")})`,
      );
    }
    return { events: [] as TimelineEvent[], notes: read.notes };
  }
  const analysis = analyseLog(read.lines);
  const windowNote = read.notes.length ? read.notes.join("; ") : undefined;
  const excerpt = (name: string, anchor: number | null, what: string) => {
    if (anchor === null) {
      out.skip(
        name,
        `no ${what} in the ${read.partialHead ? "newest part of the " : ""}log${windowNote ? ` (${windowNote})` : ""}`,
      );
      return;
    }
    const from = Math.max(0, anchor - contextLines);
    const to = Math.min(read.lines.length, anchor + contextLines + 1);
    const slice = read.lines.slice(from, to);
    const binary = slice.filter((l) => l.binary).length;
    const reasons = [
      binary ? `${binary} line(s) of binary data replaced by a marker` : null,
      from === 0 && anchor - contextLines < 0 && read.partialHead
        ? "fewer lines before the anchor than asked: older lines were beyond the read window"
        : null,
    ].filter((r): r is string => r !== null);
    const header = `# ${what}: line ${anchor + 1} of the lines read from ${read.sources.join(", ")}\n# ${to - from} lines (${anchor - from} before, ${to - anchor - 1} after)\n`;
    out.add(name, header + slice.map((l) => l.text).join("\n"), {
      complete: reasons.length === 0,
      ...(reasons.length ? { reason: reasons.join("; ") } : {}),
    });
  };
  excerpt("logs/around-last-start.log", analysis.lastStart, "last gateway start");
  excerpt("logs/around-last-disconnect.log", analysis.lastDisconnect, "last disconnect");
  const policy = analysis.policyLines.map((i) => read.lines[i]?.text ?? "");
  out.add(
    "logs/policy-hits.log",
    policy.length ? `${policy.slice(-MAX_POLICY_LINES).join("\n")}\n` : "# no policy, scope or allowlist lines\n",
    policy.length > MAX_POLICY_LINES
      ? { complete: false, reason: `newest ${MAX_POLICY_LINES} of ${policy.length} lines` }
      : { complete: true },
  );
  return { events: analysis.events, notes: read.notes };
}

/** timeline.json: every event in time order, and what changed before the first close 1000. */
function addTimeline(out: BundleBuilder, unsorted: TimelineEvent[], logNotes: string[]): void {
  const events = unsorted.sort((a, b) => compareCodeUnits(a.at ?? "", b.at ?? ""));
  const first1000 = events.find((e) => e.kind === "close" && e.code === 1000);
  const timeline = {
    note: "UTC; from the gateway file log and the config file. The running config hash (hello-ok snapshot.appliedConfigHash) is added by the control plane.",
    firstClose1000: first1000 ?? null,
    changesBeforeFirstClose1000: first1000
      ? events.filter((e) => e.kind !== "close" && (e.at ?? "") <= (first1000.at ?? ""))
      : [],
    closeCodes: summariseCloses(events),
    events,
    logNotes,
  };
  out.add("timeline.json", `${JSON.stringify(timeline, null, 2)}\n`, {
    complete: logNotes.length === 0,
    ...(logNotes.length ? { reason: logNotes.join("; ") } : {}),
  });
}

// ---------------------------------------------------------------------------------------
// Config history

/** `openclaw.json.bak`, `openclaw.json.bak.1`, … beside the config: earlier edits, with time and hash. */
async function configBackups(configPath: string): Promise<TimelineEvent[]> {
  const dir = dirname(configPath);
  const base = basename(configPath);
  const events: TimelineEvent[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n !== base && n.startsWith(`${base}.`)).slice(0, 20);
  } catch {
    return events;
  }
  for (const name of names) {
    try {
      const path = join(dir, name);
      const [info, raw] = await Promise.all([stat(path), readFile(path)]);
      if (!info.isFile()) continue;
      events.push({
        at: isoTime(info.mtime),
        kind: "config-backup",
        detail: `${path}; sha256:${sha256(raw).slice(0, 16)}`,
      });
    } catch {
      // Vanished between readdir and stat: nothing to report.
    }
  }
  return events;
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
