import { createHash } from "node:crypto";
import { open, readdir, readFile, realpath, stat } from "node:fs/promises";
import { homedir, release, type } from "node:os";
import { basename, delimiter, dirname, isAbsolute, join } from "node:path";
import {
  BUNDLE_MAX_WIRE_BYTES,
  type BundleCollectData,
  type BundleFile,
  type BundleRedaction,
} from "../../contract/catalog.ts";
import { isSecretEnvName, maskDotenv } from "./bundle-dotenv.ts";
import { errnoCode, errorMessage } from "./errors.ts";
import { execCommand } from "./exec.ts";
import { parseLogLine } from "./log-signatures.ts";
import { logCandidates } from "./logs.ts";
import { budget, type Probe } from "./probe.ts";
import { countRedactions, redactDeep, redactTextCounted } from "./redact.ts";
import { redactWithRuleSet } from "./redact-rule-set.ts";
import { parseOpenclawVersion } from "./versions.ts";

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
const MAX_LINE_CHARS = 4_000;
const MAX_CLI_OUTPUT = 256 * 1024;
const MAX_CONFIG_BYTES = 128 * 1024;
const MAX_POLICY_LINES = 200;
/** Leave this much of the step budget to redact, cap and send. */
const PACKAGING_MARGIN_MS = 3_000;

const CLI_COMMANDS: { name: string; args: string[]; wantMs: number }[] = [
  { name: "cli/status-all.txt", args: ["status", "--all"], wantMs: 20_000 },
  { name: "cli/gateway-status.json", args: ["gateway", "status", "--json"], wantMs: 15_000 },
  { name: "cli/doctor-lint.json", args: ["doctor", "--lint", "--json"], wantMs: 25_000 },
];

/** Env vars worth showing: OpenClaw's own, the agent's, and the few that change CLI behaviour. */
const ENV_NAME = /^(?:OPENCLAW_|CLAWOPS_|CLAWDBOT_|NODE_OPTIONS$|NODE_ENV$|HOME$|PATH$|ANTHROPIC_|OPENAI_|SLACK_)/;

export const probeBundleCollect: Probe<"bundle.collect"> = async (ctx, args, run) => {
  const [config, secrets] = await Promise.all([run.readings.config(), run.readings.knownSecrets()]);
  const out = new BundleBuilder(secrets);
  const contextLines = args.contextLines ?? DEFAULT_CONTEXT_LINES;

  const cliRuns = CLI_COMMANDS.map(async (cmd) => {
    const timeoutMs = Math.max(100, budget(run, cmd.wantMs) - PACKAGING_MARGIN_MS);
    const r = await execCommand(ctx.openclawBin, cmd.args, {
      env: ctx.env,
      timeoutMs,
      signal: run.signal,
      maxOutputBytes: MAX_CLI_OUTPUT,
    });
    const header = `$ openclaw ${cmd.args.join(" ")}\n# exit ${r.exitCode ?? r.exitSignal ?? "none"} after ${Math.round(r.durationMs)} ms\n`;
    if (r.spawnError) {
      out.add(cmd.name, `${header}# could not start: ${r.spawnError.code}: ${r.spawnError.message}\n`, {
        complete: false,
        reason: `openclaw could not be started (${r.spawnError.code})`,
      });
      return;
    }
    const cut = Buffer.byteLength(r.stdout) >= MAX_CLI_OUTPUT;
    const body = `${header}${sanitize(r.stdout).text}${r.stderr.trim() ? `\n# stderr\n${sanitize(r.stderr).text}` : ""}`;
    const reason = r.timedOut
      ? `did not finish within ${timeoutMs} ms; output so far`
      : r.aborted
        ? "cancelled at the step deadline; output so far"
        : cut
          ? `output cut at ${MAX_CLI_OUTPUT} bytes`
          : undefined;
    out.add(cmd.name, body, reason ? { complete: false, reason } : { complete: true });
  });

  const versions = collectVersions(ctx.openclawBin, ctx.env, ctx.agentVersion, run.signal, budget(run, 4_000)).then(
    async (v): Promise<TimelineEvent[]> => {
      out.add("versions.json", `${JSON.stringify(v, null, 2)}\n`, { complete: true });
      // The installed package's manifest changes on every install or upgrade: its time dates the last one.
      if (!v.gatewayPackage.path) return [];
      try {
        const info = await stat(v.gatewayPackage.path);
        return [
          {
            at: info.mtime.toISOString(),
            kind: "upgrade",
            detail: `openclaw ${v.gatewayPackage.version} installed (${v.gatewayPackage.path} modified)`,
          },
        ];
      } catch {
        return [];
      }
    },
  );

  const env = (async () => {
    const lines = Object.entries(ctx.env)
      .filter(([k, v]) => ENV_NAME.test(k) && v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => (isSecretEnvName(k) && v ? `${k}=[REDACTED:secret-pair]` : `${k}=${v}`));
    out.add("env.txt", `${lines.join("\n")}\n`, {
      complete: true,
      reason: "the agent's environment, OpenClaw-related variables only",
    });
  })();

  const dotenv = (async () => {
    const path = join(ctx.stateDir, ".env");
    try {
      const raw = (await readFile(path)).subarray(0, MAX_CONFIG_BYTES).toString("utf8");
      const masked = maskDotenv(raw);
      out.add("config/dotenv.txt", masked, { complete: true, reason: `${path}, secret-named values removed` }, raw);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT")
        out.skip("config/dotenv.txt", `could not read ${path}: ${errnoCode(err) ?? errorMessage(err)}`);
    }
  })();

  const configFile = (async () => {
    const configEvents: TimelineEvent[] = [];
    if (!config.exists) {
      out.skip("config/openclaw.json", `no config file at ${config.path}`);
      return configEvents;
    }
    try {
      const raw = await readFile(config.path);
      const info = await stat(config.path);
      configEvents.push({
        at: info.mtime.toISOString(),
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
  })();

  // The logs are read last, so they include what the CLI commands (and this job's other
  // probes) made the gateway log; the commands' timeouts leave room for it.
  const cliDone = Promise.all(cliRuns);
  const logs = (async () => {
    await cliDone;
    const candidates = logCandidates(config.logFile, ctx.env.HOME ?? homedir(), new Date());
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
    return { events: analysis.events, notes: read.notes, binary: read.binaryLines };
  })();

  const [configEvents, logResult, installEvents] = await Promise.all([
    configFile,
    logs,
    versions,
    env,
    cliDone,
    dotenv,
  ]).then(([c, l, v]) => [c, l, v] as const);
  const events = [...configEvents, ...installEvents, ...logResult.events].sort((a, b) =>
    (a.at ?? "").localeCompare(b.at ?? ""),
  );
  const first1000 = events.find((e) => e.kind === "close" && e.code === 1000);
  const timeline = {
    note: "UTC; from the gateway file log and the config file. The running config hash (hello-ok snapshot.appliedConfigHash) is added by the control plane.",
    firstClose1000: first1000 ?? null,
    changesBeforeFirstClose1000: first1000
      ? events.filter((e) => e.kind !== "close" && (e.at ?? "") <= (first1000.at ?? ""))
      : [],
    closeCodes: summariseCloses(events),
    events,
    logNotes: logResult.notes,
  };
  out.add("timeline.json", `${JSON.stringify(timeline, null, 2)}\n`, {
    complete: logResult.notes.length === 0,
    ...(logResult.notes.length ? { reason: logResult.notes.join("; ") } : {}),
  });
  await out.redactWithRuleSet();
  return out.finish(args.maxBytes ?? BUNDLE_MAX_WIRE_BYTES);
};

// ---------------------------------------------------------------------------------------
// Files, redaction and the wire cap

class BundleBuilder {
  private readonly files: BundleFile[] = [];
  private readonly redactions: BundleRedaction[] = [];
  private readonly skipped: { name: string; reason: string }[] = [];
  private readonly secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    this.secrets = secrets;
  }

  /** `original`: the text before an earlier redaction pass (the config's by-field pass), so its removals count too. */
  add(name: string, content: string, state: { complete: boolean; reason?: string }, original?: string): void {
    const { text } = redactTextCounted(sanitize(content).text, this.secrets);
    const before = countRedactions(original ?? content);
    for (const [kind, n] of countRedactions(text)) {
      const count = n - (before.get(kind) ?? 0);
      if (count > 0) this.redactions.push({ file: name, kind, count });
    }
    this.files.push({
      name,
      content: text,
      complete: state.complete,
      ...(state.reason ? { reason: state.reason } : {}),
    });
  }

  /** After the patterns: the rule set over every file, its removals counted in the report too. */
  async redactWithRuleSet(): Promise<void> {
    for (const file of this.files) {
      const { text, counts } = await redactWithRuleSet(file.content);
      file.content = text;
      for (const [kind, count] of counts) this.redactions.push({ file: file.name, kind, count });
    }
  }

  skip(name: string, reason: string): void {
    this.skipped.push({ name, reason: reason.slice(0, 500) });
  }

  /** Cuts the largest files until the whole result fits one wire frame. */
  finish(maxBytes: number): BundleCollectData {
    const sizeOf = (f: BundleFile) => Buffer.byteLength(JSON.stringify(f));
    let total = this.files.reduce((n, f) => n + sizeOf(f), 0) + 4_096;
    const cuts: string[] = [];
    while (total > maxBytes) {
      const largest = [...this.files].sort((a, b) => sizeOf(b) - sizeOf(a))[0];
      if (!largest) break;
      const over = total - maxBytes;
      const before = sizeOf(largest);
      // JSON escaping can double a character; cut generously and keep the newest end of logs.
      const keep = Math.max(0, largest.content.length - over - 1_024);
      const kept = largest.name.startsWith("logs/") ? largest.content.slice(-keep) : largest.content.slice(0, keep);
      const note = `cut to ${keep} of ${largest.content.length} characters to fit the ${Math.round(maxBytes / 1024)} KiB transfer limit`;
      largest.content = kept;
      largest.complete = false;
      largest.reason = largest.reason ? `${largest.reason}; ${note}` : note;
      cuts.push(largest.name);
      total -= before - sizeOf(largest);
      if (keep === 0) break;
    }
    return {
      collectedAt: new Date().toISOString(),
      files: this.files.sort((a, b) => a.name.localeCompare(b.name)),
      redactions: this.redactions,
      skipped: this.skipped,
      ...(cuts.length ? { capped: `cut to fit the transfer limit: ${[...new Set(cuts)].join(", ")}` } : {}),
    };
  }
}

/**
 * Binary junk out, readable text in: a line with NUL bytes or mostly control/undecodable
 * characters becomes a marker; stray control characters become `.`. Long lines are cut.
 */
export function sanitize(text: string): { text: string; binaryLines: number } {
  let binaryLines = 0;
  const lines = text.split("\n").map((line) => {
    if (line.length === 0) return line;
    let junk = 0;
    let nul = false;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 0) nul = true;
      if (isJunk(c)) junk++;
    }
    if (nul || junk > Math.max(2, line.length * 0.1)) {
      binaryLines++;
      return `[binary data: ${line.length} characters omitted]`;
    }
    let clean = line;
    if (junk) {
      clean = "";
      for (const ch of line) clean += isJunk(ch.charCodeAt(0)) ? "." : ch;
    }
    return clean.length > MAX_LINE_CHARS
      ? `${clean.slice(0, MAX_LINE_CHARS)}… [line cut: ${clean.length} characters]`
      : clean;
  });
  return { text: lines.join("\n"), binaryLines };
}

/** C0 controls except tab and CR, DEL, and U+FFFD (bytes that were not UTF-8). */
function isJunk(c: number): boolean {
  return (c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f || c === 0xfffd;
}

// ---------------------------------------------------------------------------------------
// Logs

type ReadLine = { text: string; binary: boolean };
type LogRead = {
  lines: ReadLine[];
  sources: string[];
  notes: string[];
  errors: string[];
  /** The oldest lines of the oldest file were not read (size bound). */
  partialHead: boolean;
  binaryLines: number;
};

/** Reads the newest `maxBytes` over the candidate files, oldest file first. */
async function readLogs(candidates: string[], maxBytes: number): Promise<LogRead> {
  const chunks: { path: string; text: string }[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  let remaining = maxBytes;
  let partialHead = false;
  for (const path of candidates) {
    if (remaining <= 0) {
      partialHead = true;
      notes.push(`${path} not read: the ${maxBytes} byte read bound was used up by newer logs`);
      break;
    }
    try {
      const { text, size, start } = await readTail(path, remaining);
      remaining -= size - start;
      if (start > 0) {
        partialHead = true;
        notes.push(`${path}: read the newest ${size - start} of ${size} bytes`);
      }
      chunks.unshift({ path, text });
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") errors.push(`${path}: ${errnoCode(err) ?? errorMessage(err)}`);
    }
  }
  let binaryLines = 0;
  const lines: ReadLine[] = [];
  for (const chunk of chunks) {
    for (const raw of chunk.text.split("\n")) {
      if (raw === "") continue;
      const s = sanitize(raw);
      binaryLines += s.binaryLines;
      lines.push({ text: s.text, binary: s.binaryLines > 0 });
    }
  }
  if (binaryLines > 0) notes.push(`${binaryLines} log line(s) held binary data and were replaced by a marker`);
  return { lines, sources: chunks.map((c) => c.path), notes, errors, partialHead, binaryLines };
}

async function readTail(path: string, maxBytes: number): Promise<{ text: string; size: number; start: number }> {
  const size = (await stat(path)).size;
  const start = Math.max(0, size - maxBytes);
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    if (start === 0) return { text, size, start };
    const firstBreak = text.indexOf("\n");
    return { text: firstBreak === -1 ? "" : text.slice(firstBreak + 1), size, start };
  } finally {
    await handle.close();
  }
}

export type TimelineEvent = {
  at?: string;
  kind:
    | "close"
    | "gateway-start"
    | "gateway-stop"
    | "token-rotation"
    | "config-reload"
    | "config-reload-failed"
    | "config-edit"
    | "config-backup"
    | "upgrade";
  code?: number;
  detail: string;
};

/**
 * A gateway start as the file log shows it (real 2026.9.6 lines): `loading configuration…` on a
 * cold start, `shutdown budget at startup` and `http server listening (…)` on every start, then
 * `gateway ready`. A restart may log no `loading configuration` at all.
 */
const START_BEGIN = /\bloading configuration\b|\bshutdown budget at startup\b|\bhttp server listening\b/;
const START_READY = /\bgateway ready\b|\[gateway\] ready\b/;
const START_FAILED = /Gateway failed to start|refusing to report the gateway ready/i;
const STOP = /received SIGTERM|received SIGINT|shutdown\] completed|\bshutting down\b/;
const DISCONNECT =
  /\bclosed before connect\b|\bunauthorized conn=|\bhandshake timeout\b|\bgateway closed\b|\bclosed\s*\(\d{4}\)|\bdisconnect(?:ed)?\b|\bws\b.*\bclose[d]?\b.*\bcode[=: ]\d{4}/i;
const CLOSE_CODE = /\bclosed?\s*\((\d{4})\)|\bcode[=: ](\d{4})\b/i;
const TOKEN_ROTATION =
  /gateway auth changed|hot reload applied \(gateway\.auth\.(?:token|password)|token rotat|credential-replaced/i;
const RELOAD_OK = /config hot reload applied/i;
const RELOAD_FAIL = /config reload failed/i;
const POLICY =
  /dmPolicy|networkPolicy|\bpolicy[ =:_-]*(?:hit|block(?:ed)?|den(?:ied|y)|reject(?:ed)?|drop(?:ped)?|violation)|(?:blocked|denied|rejected|dropped) by (?:the )?policy|allowlist|denylist|\bdenied\b|FORBIDDEN|missing scope|not allowed|scope upgrade|pairing required/i;
const VERSION_IN_START = /\b(?:openclaw|version)[ =v]*(\d{4}\.\d+\.\d+)/i;

export function analyseLog(lines: readonly ReadLine[]): {
  events: TimelineEvent[];
  lastStart: number | null;
  lastDisconnect: number | null;
  policyLines: number[];
} {
  const events: TimelineEvent[] = [];
  let lastStart: number | null = null;
  let lastDisconnect: number | null = null;
  const policyLines: number[] = [];
  let lastVersion: string | null = null;
  let inStart = false;
  lines.forEach((l, i) => {
    if (l.binary) return;
    const parsed = parseLogLine(l.text);
    if (!parsed) return;
    const text = parsed.text;
    const at = parsed.time ? toUtc(parsed.time) : undefined;
    const ev = (e: Omit<TimelineEvent, "at">) =>
      events.push({ ...(at ? { at } : {}), ...e, detail: e.detail.slice(0, 300) });
    const begins = START_BEGIN.test(text);
    const ready = START_READY.test(text);
    if ((begins || ready) && !inStart) {
      // One start runs from its first start line to `gateway ready`: anchor on the first.
      lastStart = i;
      ev({ kind: "gateway-start", detail: text });
    }
    if (begins) inStart = true;
    if (ready || START_FAILED.test(text)) inStart = false;
    if (begins || ready) {
      const v = VERSION_IN_START.exec(text)?.[1];
      if (v) {
        if (lastVersion && v !== lastVersion) ev({ kind: "upgrade", detail: `${lastVersion} → ${v}` });
        lastVersion = v;
      }
    }
    if (STOP.test(text)) {
      ev({ kind: "gateway-stop", detail: text });
      inStart = false;
    }
    if (TOKEN_ROTATION.test(text)) ev({ kind: "token-rotation", detail: text });
    else if (RELOAD_OK.test(text)) ev({ kind: "config-reload", detail: text });
    if (RELOAD_FAIL.test(text)) ev({ kind: "config-reload-failed", detail: text });
    const close = CLOSE_CODE.exec(text);
    if (close && (DISCONNECT.test(text) || /\bclos/i.test(text))) {
      ev({ kind: "close", code: Number(close[1] ?? close[2]), detail: text });
    }
    if (DISCONNECT.test(text)) lastDisconnect = i;
    if (POLICY.test(text)) policyLines.push(i);
  });
  return { events, lastStart, lastDisconnect, policyLines };
}

function summariseCloses(events: TimelineEvent[]): { code: number; count: number; first?: string; last?: string }[] {
  const byCode = new Map<number, { code: number; count: number; first?: string; last?: string }>();
  for (const e of events) {
    if (e.kind !== "close" || e.code === undefined) continue;
    const entry = byCode.get(e.code) ?? { code: e.code, count: 0 };
    entry.count++;
    if (e.at) {
      entry.first ??= e.at;
      entry.last = e.at;
    }
    byCode.set(e.code, entry);
  }
  return [...byCode.values()].sort((a, b) => a.code - b.code);
}

function toUtc(time: string): string {
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? time : d.toISOString();
}

// ---------------------------------------------------------------------------------------
// Config history and versions

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
        at: info.mtime.toISOString(),
        kind: "config-backup",
        detail: `${path}; sha256:${sha256(raw).slice(0, 16)}`,
      });
    } catch {
      // Vanished between readdir and stat: nothing to report.
    }
  }
  return events;
}

async function collectVersions(
  bin: string,
  env: Readonly<Record<string, string | undefined>>,
  agentVersion: string,
  signal: AbortSignal,
  timeoutMs: number,
) {
  const [cli, pkg, os] = await Promise.all([
    execCommand(bin, ["--version"], { env, timeoutMs, signal }),
    gatewayPackage(bin, env),
    osRelease(),
  ]);
  const raw = cli.stdout.trim().slice(0, 200);
  return {
    cli: {
      version: cli.exitCode === 0 ? parseOpenclawVersion(raw) : null,
      raw: raw || null,
      ...(cli.exitCode !== 0
        ? { error: cli.spawnError?.code ?? (cli.timedOut ? "timeout" : `exit ${cli.exitCode}`) }
        : {}),
    },
    gatewayPackage: pkg,
    os,
    node: process.version,
    agent: agentVersion,
  };
}

/** The installed `openclaw` package's version: the launcher's real path, up to its package.json. */
async function gatewayPackage(
  bin: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ version: string | null; path: string | null }> {
  const candidates = isAbsolute(bin)
    ? [bin]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const candidate of candidates) {
    let dir: string;
    try {
      dir = dirname(await realpath(candidate));
    } catch {
      continue;
    }
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
          name?: unknown;
          version?: unknown;
        };
        if (pkg.name === "openclaw" && typeof pkg.version === "string")
          return { version: pkg.version, path: join(dir, "package.json") };
      } catch {
        // No package.json here; go up.
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return { version: null, path: null };
}

async function osRelease(): Promise<{ pretty: string | null; kernel: string }> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const m = /^PRETTY_NAME=(?:"([^"]*)"|'([^']*)'|(.*))$/m.exec(text);
    return { pretty: m?.[1] ?? m?.[2] ?? m?.[3] ?? null, kernel: `${type()} ${release()}` };
  } catch {
    return { pretty: null, kernel: `${type()} ${release()}` };
  }
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
