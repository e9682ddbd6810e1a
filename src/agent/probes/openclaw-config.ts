import { errorMessage } from "../../contract/errors.ts";
import { readFile } from "../fs-async.ts";
import { parseConfigText } from "./config-text.ts";
import { DEFAULT_GATEWAY_PORT, type ProbeContext } from "./context.ts";
import { errnoCode } from "./errors.ts";

/**
 * The parts of `openclaw.json` the probes read. OpenClaw reads the file as JSON5 (comments,
 * trailing commas: openclaw docs/gateway/configuration.md), so this does too. A missing file
 * or a parse error is a finding, not an exception.
 */
export type ConfigReading = {
  path: string;
  exists: boolean;
  readError?: string;
  parseError?: string;
  mode: string | null;
  bind: string | null;
  /** `gateway.port` as written in the file. */
  port: number | null;
  authMode: string | null;
  /**
   * The shared-secret token as OpenClaw would use it: `${VAR}` substitutions resolved from the
   * agent's env. `undefined` when none is configured or it cannot be resolved here.
   */
  token: string | undefined;
  /** A token is configured, even one the agent cannot resolve (a secret ref). */
  tokenConfigured: boolean;
  /** Why a configured token could not be resolved, e.g. `secret ref` or `unset env OPENCLAW_X`. */
  tokenUnresolved?: string;
  /** `gateway.auth.password`, resolved like the token; read only so redaction can remove it. */
  password: string | undefined;
  /**
   * OPENCLAW_GATEWAY_TOKEN set by the config's own `env` block (`env.X` or `env.vars.X`), which
   * OpenClaw applies to its process env only when the variable is missing there.
   */
  envToken?: { key: string; token: string };
  workspace: string | null;
  /** `logging.file`: where the gateway's rolling file log goes when not the /tmp default. */
  logFile: string | null;
  /** Every model ref the config names (primary, fallbacks, per-model entries), with where. */
  modelRefs: readonly { ref: string; source: string }[];
  /**
   * `gateway.tls` as written (`enabled`, `certPath`) and `gateway.remote.tlsFingerprint`: a
   * gateway with TLS on serves wss/https only, and its clients pin a certificate.
   */
  tls?: GatewayTlsConfig;
  /**
   * The port this config's running gateway listens on, read from its sockets, when the file
   * cannot be read or parsed (it still serves its last good config there) or when it does not
   * listen on the file's port (a change waiting for a restart).
   */
  runningPort?: { port: number; pid: number };
};

export type GatewayTlsConfig = {
  enabled: boolean;
  certPath: string | null;
  remoteFingerprint: string | null;
};

const EMPTY = {
  mode: null,
  bind: null,
  port: null,
  authMode: null,
  token: undefined,
  tokenConfigured: false,
  password: undefined,
  workspace: null,
  logFile: null,
  modelRefs: [],
} as const;

/** Reads a config file's text; a job passes one that reads the file once for every reader (JobReadings). */
export type ConfigTextReader = (path: string) => Promise<string>;

export const readConfigText: ConfigTextReader = (path) => readFile(path, "utf8");

export async function readOpenclawConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  readText: ConfigTextReader = readConfigText,
): Promise<ConfigReading> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    const exists = errnoCode(err) !== "ENOENT";
    return { path, exists, ...(exists ? { readError: errorMessage(err) } : {}), ...EMPTY };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { path, exists: true, parseError: errorMessage(parsed.error), ...EMPTY };
  return { path, exists: true, ...interpretConfig(parsed.root, env) };
}

export function interpretConfig(
  root: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Omit<ConfigReading, "path" | "exists" | "readError" | "parseError"> {
  const gateway = record(record(root).gateway);
  const auth = record(gateway.auth);
  const agents = record(record(root).agents);
  const rawToken = auth.token;
  const token = resolveSecretString(rawToken, env);
  const envBlock = record(record(root).env);
  const envToken =
    typeof envBlock.OPENCLAW_GATEWAY_TOKEN === "string" && envBlock.OPENCLAW_GATEWAY_TOKEN !== ""
      ? { key: "env.OPENCLAW_GATEWAY_TOKEN", token: envBlock.OPENCLAW_GATEWAY_TOKEN }
      : typeof record(envBlock.vars).OPENCLAW_GATEWAY_TOKEN === "string" &&
          record(envBlock.vars).OPENCLAW_GATEWAY_TOKEN !== ""
        ? { key: "env.vars.OPENCLAW_GATEWAY_TOKEN", token: String(record(envBlock.vars).OPENCLAW_GATEWAY_TOKEN) }
        : undefined;
  const mainEntry = record(record(agents.entries).main);
  const listMain = Array.isArray(agents.list)
    ? record(agents.list.find((a: unknown) => record(a).id === "main" || record(a).default === true))
    : {};
  return {
    mode: stringOrNull(gateway.mode),
    bind: stringOrNull(gateway.bind),
    port: portOrNull(gateway.port),
    authMode: stringOrNull(auth.mode),
    token: token.value,
    tokenConfigured: rawToken !== undefined && rawToken !== null && rawToken !== "",
    ...(token.unresolved ? { tokenUnresolved: token.unresolved } : {}),
    password: resolveSecretString(auth.password, env).value,
    ...(envToken ? { envToken } : {}),
    workspace:
      stringOrNull(record(agents.defaults).workspace) ??
      stringOrNull(mainEntry.workspace) ??
      stringOrNull(listMain.workspace),
    logFile: stringOrNull(record(record(root).logging).file),
    modelRefs: configModelRefs(agents),
    tls: {
      enabled: record(gateway.tls).enabled === true,
      certPath: stringOrNull(record(gateway.tls).certPath)?.trim() || null,
      remoteFingerprint: stringOrNull(record(gateway.remote).tlsFingerprint)?.trim() || null,
    },
  };
}

/**
 * Model refs as OpenClaw's config names them: `model` is a ref string or
 * `{ primary, fallbacks[] }`, `models` a map keyed by ref (openclaw docs/concepts/models.md).
 */
function configModelRefs(agents: Record<string, unknown>): { ref: string; source: string }[] {
  const out: { ref: string; source: string }[] = [];
  const add = (value: unknown, source: string) => {
    if (typeof value === "string" && value.trim() !== "") out.push({ ref: value.trim(), source });
  };
  const addModel = (model: unknown, where: string) => {
    add(model, `${where}.model`);
    const m = record(model);
    add(m.primary, `${where}.model.primary`);
    if (Array.isArray(m.fallbacks)) for (const f of m.fallbacks) add(f, `${where}.model.fallbacks`);
  };
  const addAgent = (agent: unknown, where: string) => {
    const a = record(agent);
    addModel(a.model, where);
    for (const key of Object.keys(record(a.models))) add(key, `${where}.models`);
  };
  addAgent(agents.defaults, "agents.defaults");
  for (const [id, entry] of Object.entries(record(agents.entries))) addAgent(entry, `agents.entries.${id}`);
  if (Array.isArray(agents.list)) {
    agents.list.forEach((entry: unknown, i: number) => {
      addAgent(entry, `agents.list.${stringOrNull(record(entry).id) ?? i}`);
    });
  }
  return out;
}

/**
 * The port the gateway listens on, by OpenClaw's precedence: `--port` → OPENCLAW_GATEWAY_PORT →
 * `gateway.port` → 18789 (openclaw docs/gateway/index.md). The agent cannot see `--port` of a
 * gateway that is not running, so an operator override takes its place. When the config cannot
 * be read, the port its running gateway holds comes before the default: 18789 may be another
 * gateway's, and triaging that one would be triaging a gateway this host's config does not run.
 */
export function effectivePort(
  ctx: Pick<ProbeContext, "gatewayPortOverride" | "env">,
  config: Pick<ConfigReading, "port" | "runningPort">,
): { port: number; source: "agent" | "env" | "config" | "process" | "default" } {
  if (ctx.gatewayPortOverride !== undefined) return { port: ctx.gatewayPortOverride, source: "agent" };
  const envPort = portOrNull(ctx.env.OPENCLAW_GATEWAY_PORT);
  if (envPort !== null) return { port: envPort, source: "env" };
  // Set only when the file cannot be read, or when this config's gateway does not serve the
  // file's port (a change waiting for a restart): then what runs is what clients reach.
  if (config.runningPort) return { port: config.runningPort.port, source: "process" };
  if (config.port !== null) return { port: config.port, source: "config" };
  return { port: DEFAULT_GATEWAY_PORT, source: "default" };
}

/** `${VAR}` substitution as OpenClaw does it (uppercase names only; docs environment-variables.md). */
export function resolveSecretString(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value?: string; unresolved?: string } {
  if (typeof raw !== "string") {
    return raw === undefined || raw === null ? {} : { unresolved: "secret ref (not resolved by the agent)" };
  }
  if (raw === "") return {};
  let missing: string | undefined;
  const value = raw.replace(/(\$)?\$\{([A-Z_][A-Z0-9_]*)\}/g, (whole, escaped: string | undefined, name: string) => {
    if (escaped) return whole.slice(1);
    const v = env[name];
    if (v === undefined || v === "") missing ??= name;
    return v ?? "";
  });
  return missing ? { unresolved: `unset env ${missing}` } : { value };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function portOrNull(value: unknown): number | null {
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}
