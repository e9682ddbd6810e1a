// @ts-check
/**
 * The `clawops` CLI's argv: options, commands, usage, suggestions for a misspelled word, and
 * which control plane it talks to. Plain JavaScript on Node's own modules only: it runs before
 * anything else is loaded, so `clawops --version`, `--help` and a one-reply command start in
 * about bare Node's time (TypeScript would load Node's type stripper first, zod the rest:
 * docs/benchmarks.md, "CLI start"). Type-checked like the TypeScript (`// @ts-check`).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs, parseEnv } from "node:util";

export const DEFAULT_PORT = 8787;
export const DEFAULT_COMMAND = "/openclaw";
/** Slack's rule for a command name, as src/core/messages/command-name.ts has it. */
const COMMAND_NAME = /^\/[a-z0-9][a-z0-9_-]{0,31}$/;

export const EXIT = /** @type {const} */ ({ ok: 0, failing: 1, notRun: 2, usage: 3 });

export class UsageError extends Error {}

const USAGE = `clawops: talk to a running clawops control plane from a terminal

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
  clawops incident <id> [ack|resolve] [--signals]
                                 One incident and its timeline; ack makes you its owner,
                                 resolve closes it (authorized); --signals lists what fired
                                 and what became of each signal
  clawops incident <id> sev <1-4> | add <host>
                                 Set its severity (sev1 worst; may page) or add a host
  clawops incident <id> role <commander|comms|scribe> <'<@U…>'|me>
                                 Give an incident role (handed over from whoever held it)
  clawops incident <id> action <text…> ['<@U…>'] | actions | action <n> done
                                 Record a follow-up action (and its owner), list them, close one
  clawops incident new [sev1-4] [on <host>[,<host>…]] <title…>
                                 Declare an incident by hand (its thread opens in the console)
  clawops report [--since 30d]   Incidents by host, finding, source and severity; MTTA, MTTR,
                                 pages sent, the noisiest hosts
  clawops ticket <id> new [jira|github]
                                 Open a ticket for an incident with its summary, findings,
                                 timeline and bundle (or comment on the one open for the same
                                 host and top finding); \`ticket <id> renew\` keeps its bundle link
  clawops postmortem <id> [--md] [--ticket]
                                 Post the incident's postmortem draft to its thread (--ticket: and
                                 to its ticket); --md prints the Markdown here instead
  clawops known-issues [<host>|all]
                                 Which known upstream OpenClaw issues the hosts' findings match,
                                 how many hosts each affects, which release fixes it; for one
                                 host, the workarounds
  clawops expiries [--json]      The fleet's expiry calendar, soonest first: gateway TLS
                                 certificates (and whether the served one is the file), model
                                 credentials' expiry, agents' enrollment age; dates and
                                 fingerprints only; exit 1 when something expires within 14 days
  clawops tag <host> <tag>...    Set a host's tags, replacing them (\`-\` clears them)
  clawops upgrade <host|tag:<tag>|all> to <version> [--wave N%] --dry-run
                                 The plan for moving the gateways' OpenClaw to a release: per host
                                 free disk, the Node requirement, official plugins in lockstep,
                                 freezes, known issues it fixes; the waves (a canary, N% of the
                                 rest, default 25%, the rest). Changes nothing; exit 1 when a host
                                 is blocked
  clawops upgrade <host|tag:<tag>|all> to <version> [--wave N%] --run
                                 Start the upgrade run itself (only with --run, never by a missing
                                 flag): the same pre-flight and waves, the console user needs the
                                 \`upgrade\` action in the authorization file, and each host's switch
                                 is confirmed in the console, in the run's thread (like recover);
                                 prints the run's id and returns; the run's table is in the console
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
                                 installs, enrolls and starts the agent on <host> (with
                                 CLAWOPS_ADMIN_TOKEN set: through the operator API, for a control
                                 plane that serves Slack)
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
  --server <url>     The control plane (default: $CLAWOPS_URL, else http://127.0.0.1:$CLAWOPS_PORT,
                     else http://127.0.0.1:8787)
  --env-file <file>  Read CLAWOPS_URL, CLAWOPS_PORT, CLAWOPS_BIND, CLAWOPS_DATA_DIR,
                     CLAWOPS_ADMIN_TOKEN and CLAWOPS_COMMAND from the control plane's env file
                     (as systemd and docker read it); with \`config\`, every variable
  --timeout <secs>   Stop following a triage after this long (default: 120)
  --json             With triage, hosts, status <selector>, audit, incidents, incident <id>,
                     expiries or config: print one JSON document
                     for scripts instead of text (same exit codes)
  --jsonl            With \`audit\`: export every entry as JSON lines instead of a summary
  -v, --version      Print the version
  -h, --help         Show this help

The CLI proves itself to the console with the secret in the data folder (console-secret):
run it where clawops keeps its data (./data), or set CLAWOPS_DATA_DIR. With Slack configured
there is no console: \`enroll\` then uses CLAWOPS_ADMIN_TOKEN (the operator API), and the other
commands need CLAWOPS_CONSOLE=1 on the control plane. CLAWOPS_COMMAND names the slash command
when the control plane uses another name than /openclaw (e.g. /clawops).

Exit codes:
  0  the command ran; for a triage: it finished and found no failing layer
  1  the triage finished and found at least one failing layer (status: a host failed, did not
     answer or is offline)
  2  the command could not run: an error reply (unknown or offline host, bad host name),
     or the triage was lost, timed out, was refused by the agent, or --timeout passed
  3  usage error, or the control plane could not be reached
`;

/** The usage text with the slash command's name (CLAWOPS_COMMAND, default /openclaw). */
export function usage(/** @type {Env} */ env) {
  return USAGE.replaceAll("%CMD%", commandName(env));
}

/** @typedef {Readonly<Record<string, string | undefined>>} Env */

/** @param {Env} env */
export function commandName(env) {
  const name = (env.CLAWOPS_COMMAND ?? "").trim() || DEFAULT_COMMAND;
  return COMMAND_NAME.test(name) ? name : DEFAULT_COMMAND;
}

/** The package's version, from its package.json (the CLI ships inside the package). */
export function cliVersion() {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/**
 * @typedef {object} CliRequest
 * @property {string} text  the command as typed after the slash command's name
 * @property {string} command  the first word (`triage`, `hosts`, … or `passthrough`)
 * @property {string} server
 * @property {string} serverFrom  where `server` came from, for the unreachable error
 * @property {number} timeoutMs
 * @property {Env} env  the environment, with the env file's values over it
 * @property {{ host?: string }} [export]  `audit --jsonl`
 * @property {boolean} [approvalKey]
 * @property {{ envFile?: string }} [config]
 * @property {boolean} [login]
 * @property {string} [backup]  `backup <file>`: copy the database here; nothing is sent
 * @property {boolean} [version]
 * @property {boolean} [help]
 * @property {"triage" | "hosts" | "status" | "audit" | "config" | "incidents" | "incident" | "signals" | "report" | "expiries"} [json]
 * @property {string} [auditHost]
 * @property {string} [postmortemMd]  `postmortem <id> --md`: print the draft's Markdown (this incident id)
 */

/** The options, as parseArgs takes them; each one's name is also what a misspelling is matched against. */
const OPTIONS = /** @type {const} */ ({
  server: { type: "string" },
  "env-file": { type: "string" },
  timeout: { type: "string" },
  ticket: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  jsonl: { type: "boolean" },
  json: { type: "boolean" },
  live: { type: "boolean" },
  md: { type: "boolean" },
  signals: { type: "boolean" },
  since: { type: "string" },
  wave: { type: "string" },
  "dry-run": { type: "boolean" },
  run: { type: "boolean" },
  version: { type: "boolean", short: "v" },
});

/** Each command and the usage line a wrong number of words gets. */
const COMMANDS = /** @type {Record<string, string>} */ ({
  triage: "clawops triage <host>",
  enroll: "clawops enroll <host>",
  recover: "clawops recover <host>",
  revoke: "clawops revoke <host>",
  remove: "clawops remove <host>",
  unfreeze: "clawops unfreeze <host|all>",
  freeze: "clawops freeze <host|all> [for 30m] <reason>",
  "upgrade-agent": "clawops upgrade-agent <host|tag:<tag>|all> [--wave N%]",
  upgrade: "clawops upgrade <host|tag:<tag>|all> to <version> [--wave N%] --dry-run|--run",
  tag: "clawops tag <host> <tag>... (- clears)",
  bundle: "clawops bundle <host> [--ticket KEY]…",
  status: "clawops status [all|<pattern>|tag:<tag>] [--live]",
  audit: "clawops audit [host] [--jsonl]",
  "approval-key": "clawops approval-key",
  config: "clawops config [--env-file FILE] [--json]",
  login: "clawops login",
  backup: "clawops backup <file>",
  incidents: "clawops incidents [open|all] [--json]",
  incident:
    "clawops incident <id> [ack|resolve|signals|actions] [--signals] [--json] | incident <id> sev <1-4> | incident <id> add <host> | incident <id> role <commander|comms|scribe> <@U…|me> | incident <id> action <text…> [<@U…>] | incident <id> action <n> done | incident new [sev1-4] [on <hosts>] <title…>",
  report: "clawops report [--since 30d] [--json]",
  hosts: "clawops hosts [<pattern>|tag:<tag>|state:<state>] [page <n>]",
  ticket: "clawops ticket <id> new [jira|github] | renew",
  postmortem: "clawops postmortem <id> [--md | --ticket]",
  "known-issues": "clawops known-issues [<host>|all]",
  expiries: "clawops expiries [--json]",
  help: "clawops help",
});

/**
 * argv → what to do. Throws UsageError with a message a person can act on: which word or option
 * is wrong, the nearest one that exists, and the command's usage.
 * @param {string[]} argv
 * @param {Env} processEnv
 * @returns {CliRequest}
 */
export function parseCli(argv, processEnv) {
  // `postmortem <id> --ticket` is a flag there, while `bundle --ticket KEY` takes a value.
  const flagTicket = argv[0] === "postmortem" && argv.includes("--ticket");
  const { values, positionals } = parseOptions(flagTicket ? argv.filter((a) => a !== "--ticket") : argv);
  if (flagTicket) positionals.push("--ticket");
  const [command, ...rest] = positionals;
  const base = { command: command ?? "help", text: "", timeoutMs: 0, server: "", serverFrom: "", env: processEnv };
  if (values.version && !values.help) return { ...base, version: true };
  if (values.help || command === undefined || command === "help") return { ...base, help: true };
  const env = withEnvFile(processEnv, command === "config" ? undefined : values["env-file"]);
  // `config`, `approval-key` and `backup` run here: no control plane, so no URL to check.
  const local = command === "config" || command === "approval-key" || command === "backup";
  const { server, from } = local ? { server: "", from: "" } : serverUrl(values.server, env);
  const timeoutSecs = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!Number.isFinite(timeoutSecs) || timeoutSecs <= 0)
    throw new UsageError(`--timeout must be a number of seconds, got "${values.timeout}"`);
  const request = {
    ...commandWords(command, rest, positionals, values, env),
    command,
    server,
    serverFrom: from,
    timeoutMs: timeoutSecs * 1000,
    env,
  };
  if (!values.json) return request;
  const json = jsonKind(request, command);
  if (!json)
    throw new UsageError(
      "--json goes with triage <host>, hosts, status <selector>, audit [host] (not --jsonl), incidents, incident <id> [--signals], report, expiries or config",
    );
  return { ...request, json, ...(command === "audit" && rest[0] ? { auditHost: rest[0] } : {}) };
}

/**
 * The control plane's URL: --server, else CLAWOPS_URL, else where a control plane with this
 * environment listens (CLAWOPS_BIND unless it is every address, CLAWOPS_PORT unless 0), else the
 * URL in the data folder's lock, else the default.
 * @param {string | undefined} flag
 * @param {Env} env
 */
export function serverUrl(flag, env) {
  /** @type {[string | undefined, string][]} */
  const picks = [
    [flag, "--server"],
    [env.CLAWOPS_URL?.trim() || undefined, "CLAWOPS_URL"],
  ];
  for (const [url, from] of picks) {
    if (url === undefined) continue;
    if (!/^https?:\/\/[^/\s]+/.test(url)) throw new UsageError(`${from} must be an http(s) URL, got "${url}"`);
    return { server: url.replace(/\/+$/, ""), from };
  }
  const port = env.CLAWOPS_PORT?.trim();
  if (port !== undefined && port !== "" && !/^\d{1,5}$/.test(port))
    throw new UsageError(`CLAWOPS_PORT must be a port number, got "${port}"`);
  const bind = env.CLAWOPS_BIND?.trim() || "127.0.0.1";
  const host = bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind.includes(":") ? `[${bind}]` : bind;
  // CLAWOPS_PORT=0 asks the control plane for any free port: only its lock can say which it took.
  if (port && Number(port) !== 0) return { server: `http://${host}:${port}`, from: "CLAWOPS_PORT" };
  const running = lockedUrl(resolve(env.CLAWOPS_DATA_DIR ?? "data"));
  if (running) return { server: running, from: "the data folder's clawops.lock (the control plane using it)" };
  return { server: `http://${host}:${DEFAULT_PORT}`, from: "the default" };
}

/**
 * Where the control plane that holds this data folder listens: `npm start` writes its URL into
 * `clawops.lock` (src/node/instance-lock.ts), so `npm run clawops -- …` in the same folder finds
 * it on any port. Null when there is no lock, its process is gone, or it is not listening yet.
 * @param {string} dataDir
 * @returns {string | null}
 */
function lockedUrl(dataDir) {
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, "clawops.lock"), "utf8"));
    if (typeof lock.url !== "string" || !/^https?:\/\/[^/\s]+$/.test(lock.url) || !Number.isInteger(lock.pid))
      return null;
    process.kill(lock.pid, 0);
    return lock.url;
  } catch {
    return null;
  }
}

/** The variables the CLI reads from an env file; a control plane's file holds the rest too. */
const FILE_VARS = [
  "CLAWOPS_URL",
  "CLAWOPS_PORT",
  "CLAWOPS_BIND",
  "CLAWOPS_DATA_DIR",
  "CLAWOPS_ADMIN_TOKEN",
  "CLAWOPS_COMMAND",
];

/**
 * @param {Env} env
 * @param {string | undefined} path
 * @returns {Env}
 */
function withEnvFile(env, path) {
  if (!path) return env;
  /** @type {Record<string, string>} */
  let vars;
  try {
    vars = /** @type {Record<string, string>} */ (parseEnv(readFileSync(path, "utf8")));
  } catch (err) {
    throw new UsageError(`--env-file: cannot read ${path} (${err instanceof Error ? err.message : String(err)})`);
  }
  return { ...env, ...Object.fromEntries(FILE_VARS.filter((k) => vars[k] !== undefined).map((k) => [k, vars[k]])) };
}

/**
 * @param {CliRequest} request
 * @param {string} command
 * @returns {CliRequest["json"] | null}
 */
function jsonKind(request, command) {
  if (request.export) return null;
  if (command === "triage" || command === "audit" || command === "config") return command;
  if (command === "hosts" && request.text === "hosts") return "hosts";
  if (command === "incidents") return "incidents";
  if (command === "expiries") return "expiries";
  if (command === "incident" && request.text.split(" ").length === 2) return "incident";
  if (command === "incident" && / signals$/.test(request.text) && request.text.split(" ").length === 3)
    return "signals";
  if (command === "report") return "report";
  if (command === "status" && request.text !== "status") return "status";
  return null;
}

/** @typedef {ReturnType<typeof parseOptions>["values"]} Options */

/**
 * @param {string} command
 * @param {string[]} rest
 * @param {string[]} positionals
 * @param {Options} values
 * @param {Env} env
 * @returns {Pick<CliRequest, "text" | "export" | "approvalKey" | "config" | "login" | "backup" | "postmortemMd">}
 */
function commandWords(command, rest, positionals, values, env) {
  const usageOf = () => new UsageError(`usage: ${COMMANDS[command]}`);
  switch (command) {
    case "triage":
    case "enroll":
    case "recover":
    case "revoke":
    case "remove":
    case "unfreeze":
      if (rest.length !== 1) throw usageOf();
      return { text: `${command} ${rest[0]}` };
    case "freeze":
      if (rest.length < 2) throw usageOf();
      return { text: ["freeze", ...rest].join(" ") };
    case "upgrade":
      // The plan or the run, each asked for by name: no run starts by a missing flag.
      if (rest.length !== 3 || rest[1] !== "to" || Boolean(values["dry-run"]) === Boolean(values.run)) throw usageOf();
      return {
        text: `upgrade ${rest[0]} to ${rest[2]}${values.wave ? ` --wave ${values.wave}` : ""}${values["dry-run"] ? " --dry-run" : ""}`,
      };
    case "upgrade-agent":
      if (rest.length !== 1) throw usageOf();
      return { text: `upgrade-agent ${rest[0]}${values.wave ? ` --wave ${values.wave}` : ""}` };
    case "tag":
      if (rest.length < 2) throw usageOf();
      return { text: ["tag", ...rest].join(" ") };
    case "bundle":
      if (rest.length !== 1) throw usageOf();
      return { text: ["bundle", rest[0], ...(values.ticket ?? []).flatMap((t) => ["--ticket", t])].join(" ") };
    case "status":
      if (rest.length > 1) throw usageOf();
      if (values.live && !rest[0]) throw new UsageError("--live goes with status <selector>");
      return { text: `status ${rest[0] ?? ""}${values.live ? " --live" : ""}`.trim() };
    case "audit":
      if (rest.length > 1) throw usageOf();
      if (values.jsonl) return { text: "", export: rest[0] ? { host: rest[0] } : {} };
      return { text: `audit ${rest[0] ?? ""}`.trim() };
    case "approval-key":
      if (rest.length !== 0) throw usageOf();
      return { text: "", approvalKey: true };
    case "config":
      if (rest.length !== 0) throw usageOf();
      return { text: "", config: values["env-file"] ? { envFile: values["env-file"] } : {} };
    case "login":
      if (rest.length !== 0) throw usageOf();
      return { text: "", login: true };
    case "backup":
      if (rest.length !== 1) throw usageOf();
      return { text: "", backup: rest[0] };
    case "incidents":
      if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== "open" && rest[0] !== "all")) throw usageOf();
      return { text: ["incidents", ...rest].join(" ") };
    case "incident": {
      // `incident new …` declares one; `incident <id> sev N | add <host>` shape it (issue 40).
      if (rest[0] === "new") {
        if (rest.length < 2) throw usageOf();
        return { text: ["incident", ...rest].join(" ") };
      }
      if (rest[1] === "sev" || rest[1] === "add") {
        if (rest.length !== 3) throw usageOf();
        return { text: ["incident", ...rest].join(" ") };
      }
      // Issue 41: roles and follow-up actions; the control plane's parser checks the rest.
      if (rest[1] === "role" || rest[1] === "action" || rest[1] === "actions") {
        const least = rest[1] === "role" ? 4 : rest[1] === "action" ? 3 : 2;
        if (rest.length < least || (rest[1] === "actions" && rest.length !== 2)) throw usageOf();
        return { text: ["incident", ...rest].join(" ") };
      }
      const verb = values.signals ? "signals" : rest[1];
      if (rest.length < 1 || rest.length > 2 || (verb !== undefined && !["ack", "resolve", "signals"].includes(verb)))
        throw usageOf();
      if (values.signals && rest[1] !== undefined && rest[1] !== "signals") throw usageOf();
      return { text: ["incident", rest[0], ...(verb ? [verb] : [])].join(" ") };
    }
    case "report":
      if (rest.length !== 0) throw usageOf();
      return { text: `report${values.since ? ` ${values.since}` : ""}` };
    case "known-issues":
      if (rest.length > 1) throw usageOf();
      return { text: ["known-issues", ...rest].join(" ") };
    case "expiries":
      if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== "all")) throw usageOf();
      return { text: "expiries" };
    case "hosts":
      if (rest.length > 3) throw usageOf();
      return { text: ["hosts", ...rest].join(" ") };
    // Issue 29, items 6 and 8.
    case "ticket":
      if (rest.length < 2 || rest.length > 3) throw usageOf();
      return { text: ["ticket", ...rest].join(" ") };
    case "postmortem": {
      const toTicket = rest[1] === "--ticket";
      if (rest.length !== (toTicket ? 2 : 1) || (values.md && toTicket)) throw usageOf();
      if (values.md) return { text: "", postmortemMd: rest[0] };
      return { text: `postmortem ${rest[0]}${toTicket ? " --ticket" : ""}` };
    }
    default: {
      // "/openclaw …" as typed in Slack, or the configured name (CLAWOPS_COMMAND).
      const text = positionals.join(" ").trim();
      const name = commandName(env).slice(1);
      const passthrough = new RegExp(`^/?(?:openclaw|${name})(?:\\s+|$)`, "i").exec(text);
      if (!passthrough) {
        const near = nearest(command, Object.keys(COMMANDS));
        throw new UsageError(
          `unknown command "${command}"${near ? `: did you mean ${near}?` : ""} (\`clawops help\` lists them all)`,
        );
      }
      return { text: text.slice(passthrough[0].length) };
    }
  }
}

/**
 * node:util's parser with this CLI's words for what goes wrong: an option that does not exist
 * gets the nearest one that does, a missing value says which option wants one.
 * @param {string[]} argv
 */
function parseOptions(argv) {
  const { tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const known = /** @type {Record<string, { type: string; short?: string }>} */ (OPTIONS);
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const spec = known[t.name];
    const written = t.rawName;
    if (!spec) {
      const near = nearest(t.name, Object.keys(OPTIONS));
      throw new UsageError(`unknown option ${written}${near ? `: did you mean --${near}?` : ""}`);
    }
    if (spec.type === "string" && t.value === undefined) throw new UsageError(`${written} needs a value`);
    if (spec.type === "boolean" && t.value !== undefined) throw new UsageError(`${written} takes no value`);
  }
  // Every option is known and well-formed: the strict parse cannot fail now.
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
}

/**
 * The closest of `words` to `word` (edits: insert, delete, replace, swap two neighbours), when it
 * is close enough to be a slip: at most 1 edit for words up to 4 letters, 2 beyond.
 * @param {string} word
 * @param {string[]} words
 * @returns {string | null}
 */
export function nearest(word, words) {
  const w = word.toLowerCase();
  let best = /** @type {string | null} */ (null);
  let bestDistance = w.length <= 4 ? 1 : 2;
  for (const candidate of words) {
    const d = editDistance(w, candidate);
    if (d <= bestDistance && (best === null || d < editDistance(w, best))) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Optimal string alignment distance.
 * @param {string} a
 * @param {string} b
 */
function editDistance(a, b) {
  /** @type {number[][]} */
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) /** @type {number[]} */ (d[0])[j] = j;
  const at = (/** @type {number} */ i, /** @type {number} */ j) => /** @type {number} */ (d[i]?.[j]);
  for (let i = 1; i <= a.length; i++) {
    const row = /** @type {number[]} */ (d[i]);
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.length, b.length);
}
