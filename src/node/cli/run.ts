import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageToText, mrkdwnToText, type TextStyle } from "../../adapters/console/text.ts";
import { generateApprovalKey } from "../../contract/approval.ts";
import { errorMessage } from "../../contract/errors.ts";
import { DEFAULT_COMMAND, parseCommandName } from "../../core/messages/command-name.ts";
import { readConsoleSecret } from "../console/secret.ts";
import { ConsoleClient, ConsoleClientError } from "./console-client.ts";
import { type FollowView, followJob } from "./follow-job.ts";

export const USAGE = `clawops: talk to a running clawops control plane from a terminal

Usage:
  clawops triage <host>          Probe every layer of the gateway on <host>, follow its incident
                                 thread live and print the health matrix and findings
  clawops hosts [<pattern>|tag:<tag>|state:online|offline|revoked] [page <n>]
                                 List enrolled hosts (online/offline, versions, last seen)
  clawops status <selector> [--live]
                                 The fleet matrix of every matching host (all, a glob like
                                 'node-*', or tag:<tag>), worst first, from the agents' watch;
                                 --live quick-probes them now
  clawops status                 Active freezes: target, owner, until, reason
  clawops incidents [open|all]   The incident records, newest first (id, hosts, state, owner)
  clawops incident <id> [ack|resolve]
                                 One incident and its timeline; ack makes you its owner,
                                 resolve closes it (authorized)
  clawops ticket <id> new [jira|github]
                                 Open a ticket for an incident with its summary, findings,
                                 timeline and bundle (or comment on the one open for the same
                                 host and top finding); \`ticket <id> renew\` keeps its bundle link
  clawops postmortem <id> [--md] [--ticket]
                                 Post the incident's postmortem draft to its thread (--ticket: and
                                 to its ticket); --md prints the Markdown here instead
  clawops tag <host> <tag>...    Set a host's tags, replacing them (\`-\` clears them)
  clawops upgrade-agent <host|tag:<tag>|all> [--wave N%]
                                 Upgrade the agents to the one this control plane serves, a wave
                                 at a time (rolled back on a host where the new one fails); prints
                                 what happened on each host
  clawops bundle <host> [--ticket KEY]
                                 Collect a redacted repro bundle; prints the summary and the
                                 signed download link (and attaches it to a Jira/GitHub issue)
  clawops freeze <host|all> [for 30m] <reason>
                                 Freeze a gateway (or the fleet) with a notice in its thread
  clawops unfreeze <host|all>    Lift a freeze and post the all-clear
  clawops recover <host>         Run the six-step recovery runbook (confirm it in the console)
  clawops audit [host] [--jsonl] Recent audit log entries; --jsonl prints the full log as JSON lines
  clawops enroll <host>          Issue a one-time enrollment code and print the one command that
                                 installs, enrolls and starts the agent on <host>
  clawops revoke <host>          Disconnect a host's agent and refuse its key from now on
  clawops remove <host>          Disconnect a host's agent and delete it (the name can enroll again)
  clawops login                  Print a one-time link that logs a browser into the console
  clawops backup <file>          Copy the database to <file> while clawops runs (SQLite's online
                                 backup; runs locally where the data folder is)
  clawops config [--env-file FILE]
                                 Print the configuration \`npm start\` would use here: every
                                 variable, its value (secrets masked) and where it came from;
                                 exit 2 listing every problem (runs locally; no control plane needed)
  clawops approval-key           Print a new approval signing key (an Ed25519 private JWK) for a
                                 Worker: pipe it to \`npx wrangler secret put CLAWOPS_APPROVAL_KEY\`
                                 (runs locally; no control plane needed)
  clawops "%CMD% <text>"     Send any %CMD% command as typed in Slack
  clawops help                   Show this help

Options:
  --server <url>     The control plane (default: $CLAWOPS_URL, else http://127.0.0.1:8787)
  --timeout <secs>   Stop following a triage after this long (default: 120)
  --json             With triage, hosts, status <selector>, audit, incidents, incident <id> or
                     config: print one JSON document
                     for scripts instead of text (same exit codes)
  --jsonl            With \`audit\`: export every entry as JSON lines instead of a summary
  -v, --version      Print the version
  -h, --help         Show this help

The CLI proves itself to the console with the secret in the data folder (console-secret):
run it where clawops keeps its data (./data), or set CLAWOPS_DATA_DIR. CLAWOPS_COMMAND names
the slash command when the control plane uses another name than /openclaw (e.g. /clawops).

Exit codes:
  0  the command ran; for a triage: it finished and found no failing layer
  1  the triage finished and found at least one failing layer (status: a host failed, did not
     answer or is offline)
  2  the command could not run: an error reply (unknown or offline host, bad host name),
     or the triage was lost, timed out, was refused by the agent, or --timeout passed
  3  usage error, or the control plane could not be reached
`;

/** The usage text with the slash command's name (CLAWOPS_COMMAND, default /openclaw). */
export function usage(env: NodeJS.ProcessEnv): string {
  return USAGE.replaceAll("%CMD%", commandName(env));
}

function commandName(env: NodeJS.ProcessEnv): string {
  try {
    return parseCommandName(env.CLAWOPS_COMMAND);
  } catch {
    return DEFAULT_COMMAND;
  }
}

/** The package's version, from its package.json (the CLI ships inside the package). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

const DEFAULT_SERVER = "http://127.0.0.1:8787";

export const EXIT = { ok: 0, failing: 1, notRun: 2, usage: 3 } as const;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

export async function runCli(argv: string[], io: Io): Promise<number> {
  let request: CliRequest | null;
  try {
    request = parseCli(argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`clawops: ${err.message}\nRun \`clawops help\` for usage.\n`);
    return EXIT.usage;
  }
  if (!request) {
    io.stdout.write(usage(io.env));
    return EXIT.ok;
  }
  if (request.version) {
    io.stdout.write(`clawops ${cliVersion()}\n`);
    return EXIT.ok;
  }
  if (request.config) {
    const { showConfig } = await import("../config/show.ts");
    return showConfig(io.env, { ...request.config, json: !!request.json }, (t) => io.stdout.write(t));
  }
  if (request.approvalKey) {
    // Only the private JWK goes to stdout, so it can be piped into `wrangler secret put`.
    const { pair, privateJwk } = await generateApprovalKey();
    io.stdout.write(`${JSON.stringify(privateJwk)}\n`);
    io.stderr.write(
      `clawops: new approval key (public part ${pair.publicKey}); agents pin it when they enroll, so enroll them after setting it.\n`,
    );
    return EXIT.ok;
  }
  if (request.backup) {
    const { backupDatabase, BackupError } = await import("../database-backup.ts");
    try {
      const b = await backupDatabase(resolve(io.env.CLAWOPS_DATA_DIR ?? "data"), request.backup);
      io.stdout.write(`clawops: backed up the database to ${b.file} (${b.bytes} bytes, ${b.method})\n`);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof BackupError)) throw err;
      io.stderr.write(`clawops: ${err.message}\n`);
      return EXIT.notRun;
    }
  }
  const tty = !!io.stdout.isTTY;
  const style: TextStyle = { ansi: tty && !io.env.NO_COLOR };
  const client = new ConsoleClient(request.server, readConsoleSecret(resolve(io.env.CLAWOPS_DATA_DIR ?? "data")));
  try {
    if (request.login) {
      io.stdout.write(`${await client.loginUrl()}\n`);
      return EXIT.ok;
    }
    if (request.export) {
      io.stdout.write(await client.auditJsonLines(request.export.host));
      return EXIT.ok;
    }
    if (request.postmortemMd) {
      io.stdout.write((await client.postmortem(request.postmortemMd)).markdown);
      return EXIT.ok;
    }
    if (request.json) return await printJson(client, request, io);
    const reply = await client.command(request.text);
    io.stdout.write(`${messageToText(reply.ack.message, style)}\n`);
    if (reply.error) return EXIT.notRun;
    if (/^status\s+\S/.test(request.text))
      return await followFleet(client, reply.headSeq, request.timeoutMs, io, style);
    if (request.text.startsWith("upgrade-agent "))
      return await followSummary(client, reply.headSeq, request.timeoutMs, io, style, "Agent upgrade to ");
    if (!reply.jobId) return EXIT.ok;

    const view = terminalView(io.stdout, style, tty);
    const outcome = await followJob(client, reply.jobId, reply.headSeq, view, { timeoutMs: request.timeoutMs });
    view.settle();
    if (outcome.kind === "gave-up") {
      io.stderr.write(
        `clawops: stopped following job ${reply.jobId} after ${request.timeoutMs / 1000} s (status: ${outcome.job?.status ?? "unknown"}); it may still finish, see ${request.server}/console\n`,
      );
      return EXIT.notRun;
    }
    if (outcome.kind === "ended") {
      const detail = outcome.job.detail ? `: ${outcome.job.detail}` : "";
      const what = request.text.startsWith("bundle ") ? "bundle" : "triage";
      io.stderr.write(`clawops: ${what} of ${outcome.job.host} did not complete (${outcome.job.status})${detail}\n`);
      return EXIT.notRun;
    }
    // A bundle that finished is a success whatever the gateway's health.
    if (request.text.startsWith("bundle ")) return EXIT.ok;
    return outcome.job.failingLayers.length > 0 ? EXIT.failing : EXIT.ok;
  } catch (err) {
    if (!(err instanceof ConsoleClientError)) throw err;
    io.stderr.write(`clawops: ${err.message}\n`);
    return EXIT.usage;
  }
}

/**
 * Waits for the fleet matrix the command posts (one top-level message) and prints it.
 * Exit 1 when any host failed, did not answer or is offline.
 */
async function followFleet(
  client: ConsoleClient,
  since: number,
  timeoutMs: number,
  io: Io,
  style: TextStyle,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const events = await client.messagesSince(since);
    const fleet = events.find((e) => !e.threadTs && e.text.startsWith("Fleet status"));
    if (fleet) {
      io.stdout.write(`\n${messageToText(fleet.message, style)}\n`);
      return /[1-9]\d* (fail|no answer|offline)\b/.test(fleet.text) ? EXIT.failing : EXIT.ok;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  io.stderr.write(`clawops: no fleet matrix after ${timeoutMs / 1000} s\n`);
  return EXIT.notRun;
}

/**
 * Waits for the summary an upgrade posts (a top-level message, after every host's line in the
 * plan's thread) and prints it. Exit 1 when a host was not upgraded.
 */
async function followSummary(
  client: ConsoleClient,
  since: number,
  timeoutMs: number,
  io: Io,
  style: TextStyle,
  prefix: string,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const events = await client.messagesSince(since);
    const done = events.find((e) => !e.threadTs && e.text.includes(prefix) && e.text.includes(" finished: "));
    if (done) {
      io.stdout.write(`\n${messageToText(done.message, style)}\n`);
      return /rolled back|failed|offline|not tried/.test(done.text.split("\n")[0] ?? "") ? EXIT.failing : EXIT.ok;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  io.stderr.write(`clawops: no upgrade summary after ${timeoutMs / 1000} s\n`);
  return EXIT.notRun;
}

/**
 * `--json`: one JSON document on stdout for scripts, with the exit codes the text form has.
 * Its shape is the contract: fields are only ever added.
 */
async function printJson(client: ConsoleClient, request: CliRequest, io: Io): Promise<number> {
  const out = (doc: unknown) => io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  switch (request.json) {
    case "hosts":
      out({ hosts: await client.hosts() });
      return EXIT.ok;
    case "incidents":
      out({ incidents: await client.incidents(request.text.endsWith(" all") ? "all" : "open") });
      return EXIT.ok;
    case "incident":
      out(await client.incident(request.text.split(" ")[1] ?? ""));
      return EXIT.ok;
    case "audit": {
      const lines = (await client.auditJsonLines(request.export?.host ?? request.auditHost)).split("\n");
      out({ entries: lines.filter(Boolean).map((l) => JSON.parse(l) as unknown) });
      return EXIT.ok;
    }
    case "status": {
      const report = await client.fleet(request.text.replace(/^status\s+/, ""));
      out(report);
      const bad =
        (report.counts.fail ?? 0) +
        (report.counts["no-answer"] ?? 0) +
        (report.counts.offline ?? 0) +
        (report.counts.stale ?? 0);
      return bad > 0 ? EXIT.failing : EXIT.ok;
    }
    case "triage": {
      const reply = await client.command(request.text);
      if (reply.error || !reply.jobId) {
        out({ jobId: null, status: "refused", error: reply.error ?? { code: "no_job", message: reply.ack.text } });
        return EXIT.notRun;
      }
      const quiet: FollowView = { message() {}, progress() {}, progressDone() {} };
      const outcome = await followJob(client, reply.jobId, reply.headSeq, quiet, { timeoutMs: request.timeoutMs });
      const job = outcome.job ?? (await client.job(reply.jobId));
      out({
        jobId: job.id,
        host: job.host,
        status: job.status,
        detail: job.detail,
        failingLayers: job.failingLayers,
        matrix: job.matrix ?? null,
        findings: job.findingTitles ?? job.findings.map((id) => ({ id })),
      });
      if (outcome.kind === "gave-up") {
        io.stderr.write(
          `clawops: stopped following job ${reply.jobId} after ${request.timeoutMs / 1000} s (status: ${job.status}); it may still finish\n`,
        );
        return EXIT.notRun;
      }
      if (outcome.kind === "ended") return EXIT.notRun;
      return job.failingLayers.length > 0 ? EXIT.failing : EXIT.ok;
    }
    default:
      return EXIT.usage;
  }
}

interface CliRequest {
  text: string;
  server: string;
  timeoutMs: number;
  export?: { host?: string };
  /** `approval-key`: make a key here; nothing is sent. */
  approvalKey?: boolean;
  /** `config`: print the configuration here, from the environment and `--env-file`. */
  config?: { envFile?: string };
  /** `login`: print a one-time console login URL. */
  login?: boolean;
  /** `backup <file>`: copy the database here (issue 32); nothing is sent. */
  backup?: string;
  /** `--version`. */
  version?: boolean;
  /** `--json`: which command's JSON document to print. */
  json?: "triage" | "hosts" | "status" | "audit" | "config" | "incidents" | "incident";
  /** `audit <host>`, for `--json`. */
  auditHost?: string;
  /** `postmortem <id> --md`: print the draft's Markdown (this incident id). */
  postmortemMd?: string;
}

/** argv → the /openclaw text to send, or null for help. */
function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliRequest | null {
  // `postmortem <id> --ticket` is a flag there, while `bundle --ticket KEY` takes a value.
  const flagTicket = argv[0] === "postmortem" && argv.includes("--ticket");
  const { values, positionals } = parseOptions(flagTicket ? argv.filter((a) => a !== "--ticket") : argv);
  if (flagTicket) positionals.push("--ticket");
  const [command, ...rest] = positionals;
  if (values.version && !values.help) return { text: "", server: DEFAULT_SERVER, timeoutMs: 0, version: true };
  if (values.help || command === undefined || command === "help") return null;
  const server = values.server ?? env.CLAWOPS_URL ?? DEFAULT_SERVER;
  if (!/^https?:\/\/[^/\s]+/.test(server)) throw new UsageError(`--server must be an http(s) URL, got "${server}"`);
  const timeoutSecs = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!Number.isFinite(timeoutSecs) || timeoutSecs <= 0)
    throw new UsageError(`--timeout must be a number of seconds, got "${values.timeout}"`);
  const base = { server, timeoutMs: timeoutSecs * 1000 };
  const request = parseCommandWords(command, rest, positionals, values, base, env);
  if (values.json) {
    const json = jsonKind(request, command);
    if (!json)
      throw new UsageError(
        "--json goes with triage <host>, hosts, status <selector>, audit [host] (not --jsonl), incidents, incident <id> or config",
      );
    return { ...request, json, ...(command === "audit" && rest[0] ? { auditHost: rest[0] } : {}) };
  }
  return request;
}

/** Which JSON document `--json` prints for this request, if it has one. */
function jsonKind(request: CliRequest, command: string): CliRequest["json"] | null {
  if (request.export) return null;
  if (command === "triage" || command === "audit" || command === "config") return command;
  if (command === "hosts" && request.text === "hosts") return "hosts";
  if (command === "incidents") return "incidents";
  if (command === "incident" && request.text.split(" ").length === 2) return "incident";
  if (command === "status" && request.text !== "status") return "status";
  return null;
}

type ParsedOptions = ReturnType<typeof parseOptions>["values"];

function parseCommandWords(
  command: string,
  rest: string[],
  positionals: string[],
  values: ParsedOptions,
  base: { server: string; timeoutMs: number },
  env: NodeJS.ProcessEnv,
): CliRequest {
  switch (command) {
    case "triage":
    case "enroll":
    case "recover":
    case "revoke":
    case "remove":
      if (rest.length !== 1) throw new UsageError(`usage: clawops ${command} <host>`);
      return { ...base, text: `${command} ${rest[0]}` };
    case "unfreeze":
      if (rest.length !== 1) throw new UsageError("usage: clawops unfreeze <host|all>");
      return { ...base, text: `unfreeze ${rest[0]}` };
    case "freeze":
      if (rest.length < 2) throw new UsageError("usage: clawops freeze <host|all> [for 30m] <reason>");
      return { ...base, text: ["freeze", ...rest].join(" ") };
    case "upgrade-agent":
      if (rest.length !== 1) throw new UsageError("usage: clawops upgrade-agent <host|tag:<tag>|all> [--wave N%]");
      return { ...base, text: `upgrade-agent ${rest[0]}${values.wave ? ` --wave ${values.wave}` : ""}` };
    case "tag":
      if (rest.length < 2) throw new UsageError("usage: clawops tag <host> <tag>... (- clears)");
      return { ...base, text: ["tag", ...rest].join(" ") };
    case "bundle":
      if (rest.length !== 1) throw new UsageError("usage: clawops bundle <host> [--ticket KEY]…");
      return { ...base, text: ["bundle", rest[0], ...(values.ticket ?? []).flatMap((t) => ["--ticket", t])].join(" ") };
    case "status":
      if (rest.length > 1) throw new UsageError("usage: clawops status [all|<pattern>|tag:<tag>] [--live]");
      if (values.live && !rest[0]) throw new UsageError("--live goes with status <selector>");
      return { ...base, text: `status ${rest[0] ?? ""}${values.live ? " --live" : ""}`.trim() };
    case "audit":
      if (rest.length > 1) throw new UsageError("usage: clawops audit [host] [--jsonl]");
      if (values.jsonl) return { ...base, text: "", export: { host: rest[0] } };
      return { ...base, text: `audit ${rest[0] ?? ""}`.trim() };
    case "approval-key":
      if (rest.length !== 0) throw new UsageError("usage: clawops approval-key");
      return { ...base, text: "", approvalKey: true };
    case "config":
      if (rest.length !== 0) throw new UsageError("usage: clawops config [--env-file FILE] [--json]");
      return { ...base, text: "", config: values["env-file"] ? { envFile: values["env-file"] } : {} };
    case "login":
      if (rest.length !== 0) throw new UsageError("usage: clawops login");
      return { ...base, text: "", login: true };
    case "backup":
      if (rest.length !== 1) throw new UsageError("usage: clawops backup <file>");
      return { ...base, text: "", backup: rest[0] };
    case "incidents":
      if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== "open" && rest[0] !== "all"))
        throw new UsageError("usage: clawops incidents [open|all] [--json]");
      return { ...base, text: ["incidents", ...rest].join(" ") };
    case "incident":
      if (rest.length < 1 || rest.length > 2 || (rest[1] !== undefined && rest[1] !== "ack" && rest[1] !== "resolve"))
        throw new UsageError("usage: clawops incident <id> [ack|resolve] [--json]");
      return { ...base, text: ["incident", ...rest].join(" ") };
    case "hosts":
      if (rest.length > 3) throw new UsageError("usage: clawops hosts [<pattern>|tag:<tag>|state:<state>] [page <n>]");
      return { ...base, text: ["hosts", ...rest].join(" ") };
    // Issue 29, items 6 and 8.
    case "ticket":
      if (rest.length < 2 || rest.length > 3)
        throw new UsageError("usage: clawops ticket <id> new [jira|github] | renew");
      return { ...base, text: ["ticket", ...rest].join(" ") };
    case "postmortem": {
      const toTicket = rest[1] === "--ticket";
      if (rest.length !== (toTicket ? 2 : 1) || (values.md && toTicket))
        throw new UsageError("usage: clawops postmortem <id> [--md | --ticket]");
      if (values.md) return { ...base, text: "", postmortemMd: rest[0] as string };
      return { ...base, text: `postmortem ${rest[0]}${toTicket ? " --ticket" : ""}` };
    }
    default: {
      // "/openclaw …" as typed in Slack, or the configured name (CLAWOPS_COMMAND).
      const text = positionals.join(" ").trim();
      const name = commandName(env).slice(1);
      const passthrough = new RegExp(`^/?(?:openclaw|${name})(?:\\s+|$)`, "i").exec(text);
      if (!passthrough) throw new UsageError(`unknown command "${command}"`);
      return { ...base, text: text.slice(passthrough[0].length) };
    }
  }
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        server: { type: "string" },
        "env-file": { type: "string" },
        timeout: { type: "string" },
        ticket: { type: "string", multiple: true },
        md: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        jsonl: { type: "boolean" },
        json: { type: "boolean" },
        live: { type: "boolean" },
        wave: { type: "string" },
        version: { type: "boolean", short: "v" },
      },
      allowPositionals: true,
    });
  } catch (err) {
    // node:util's parse errors (unknown option, missing value) are usage errors.
    throw new UsageError(errorMessage(err), { cause: err });
  }
}

/**
 * On a terminal the progress message is one line rewritten in place; in a pipe or log
 * every change is a line of its own, so the record shows how the probes came in.
 */
function terminalView(out: NodeJS.WriteStream, style: TextStyle, tty: boolean): FollowView & { settle(): void } {
  let live = false;
  let lastLine = "";
  const clear = () => {
    if (live) out.write("\r\x1b[2K");
    live = false;
  };
  return {
    message(e) {
      clear();
      out.write(`\n${messageToText(e.message, style)}\n`);
    },
    progressDone(e) {
      clear();
      // In a log the summary line is already the last line written; print only the steps.
      const [first, ...rest] = e.message.parts;
      const repeat = !tty && first && mrkdwnToText(e.text).split("\n")[0] === lastLine;
      out.write(`${tty ? "\n" : ""}${messageToText(e.message, style, repeat ? rest : e.message.parts)}\n`);
    },
    progress(e) {
      const line = mrkdwnToText(e.text).split("\n")[0] ?? "";
      if (line === lastLine) return;
      lastLine = line;
      if (tty) {
        const width = Math.max(20, (out.columns || 80) - 1);
        out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        live = true;
      } else out.write(`${line}\n`);
    },
    settle: clear,
  };
}
