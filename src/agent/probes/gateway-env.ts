import { join } from "node:path";
import JSON5 from "json5";
import type { EnvReference } from "../../contract/catalog.ts";
import { readFile, readlink } from "../fs-async.ts";
import { proxyPresences } from "./env-presence.ts";
import { parseEnvFile } from "./host/service-units.ts";
import type { Probe } from "./probe.ts";

/**
 * The environment the running gateway got (issue 30, classes 14 and 16), by name: the variables
 * its config reads (`${VAR}` in any string, `$VAR` alone, SecretRefs `{ source: "env", id }`)
 * and where each is found, as OpenClaw loads them (openclaw docs help/environment.md): the
 * process environment (the gateway's, or its workers', which carry what it loaded at start), the
 * state folder's `.env`, the working directory's `.env`, the config's `env` block; the agent's own
 * environment for comparison. Proxy variables of the gateway and of the agent, by target and
 * fingerprint. Never a value.
 */
export const probeGatewayEnv: Probe<"gateway.env"> = async (ctx, _args, run) => {
  const [gateways, text] = await Promise.all([
    run.readings.ownGateways().catch(() => []),
    readFile(ctx.configPath, "utf8").catch(() => null),
  ]);
  let root: unknown = {};
  try {
    root = text === null ? {} : JSON5.parse(text);
  } catch {
    // The config step says why it does not parse; no reference can be read from it.
  }
  const gateway = gateways[0];
  const processNames = new Set<string>();
  for (const env of [gateway?.env, ...(gateway?.workers ?? []).map((w) => w.env)])
    for (const [k, v] of Object.entries(env ?? {})) if (v !== "") processNames.add(k);
  const home = gateway?.env?.HOME ?? ctx.env.HOME;
  const cwd = gateway ? await readlink(join(ctx.procRoot, String(gateway.pid), "cwd")).catch(() => null) : null;
  const [stateDotenv, compatDotenv, cwdDotenv] = await Promise.all([
    envFileNames(join(ctx.stateDir, ".env")),
    home ? envFileNames(join(home, ".config", "openclaw", "gateway.env")) : Promise.resolve(new Set<string>()),
    cwd ? envFileNames(join(cwd, ".env")) : Promise.resolve(new Set<string>()),
  ]);
  const configEnv = configEnvNames(root);
  const references = envReferences(root).map((r): EnvReference => {
    const foundIn: EnvReference["foundIn"] = [];
    if (processNames.has(r.name)) foundIn.push("process");
    if (stateDotenv.has(r.name) || compatDotenv.has(r.name)) foundIn.push("state-dotenv");
    if (cwdDotenv.has(r.name)) foundIn.push("cwd-dotenv");
    if (configEnv.has(r.name)) foundIn.push("config-env");
    if (ctx.env[r.name]) foundIn.push("agent-env");
    return { ...r, foundIn };
  });
  const shellEnv = record(record(record(root).env).shellEnv).enabled === true;
  const loadShell = /^(1|true|yes|on)$/i.test(gateway?.env?.OPENCLAW_LOAD_SHELL_ENV ?? "");
  return {
    pid: gateway?.pid ?? null,
    ...(gateway && !gateway.env
      ? { processUnreadable: `/proc/${gateway.pid}/environ is not readable by the agent` }
      : {}),
    references,
    shellImport: shellEnv || loadShell,
    proxies: { process: proxyPresences(gateway?.env), agent: proxyPresences(ctx.env) },
  };
};

const ENV_NAME = /^[A-Z][A-Z0-9_]{0,127}$/;
const MAX_REFERENCES = 40;

/**
 * Every variable the config reads, with the keys that read it (at most 3 each). The `env` block
 * (which sets variables) and `secrets.providers` (which names providers) are not references.
 */
export function envReferences(root: unknown): { name: string; at: string[] }[] {
  const found = new Map<string, string[]>();
  const add = (name: string, at: string) => {
    const list = found.get(name) ?? [];
    if (list.length < 3 && !list.includes(at)) list.push(at);
    found.set(name, list);
  };
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > 12 || found.size >= MAX_REFERENCES) return;
    if (typeof value === "string") {
      for (const m of value.matchAll(/(\$)?\$\{([A-Z_][A-Z0-9_]*)\}/g)) if (!m[1] && m[2]) add(m[2], path);
      const bare = /^\$([A-Z][A-Z0-9_]*)$/.exec(value.trim());
      if (bare?.[1]) add(bare[1], path);
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`, depth + 1);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const obj = value as Record<string, unknown>;
    if (obj.source === "env" && typeof obj.id === "string" && ENV_NAME.test(obj.id)) {
      add(obj.id, path);
      return;
    }
    for (const [k, v] of Object.entries(obj)) {
      const p = path ? `${path}.${k}` : k;
      if (p === "env" || p === "secrets.providers") continue;
      walk(v, p, depth + 1);
    }
  };
  walk(root, "", 0);
  return [...found].map(([name, at]) => ({ name, at })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Names the config's own `env` block sets (`env.X` and `env.vars.X`), applied when missing. */
function configEnvNames(root: unknown): Set<string> {
  const env = record(record(root).env);
  const names = new Set<string>();
  for (const [k, v] of Object.entries(env)) if (ENV_NAME.test(k) && typeof v === "string" && v !== "") names.add(k);
  for (const [k, v] of Object.entries(record(env.vars))) if (typeof v === "string" && v !== "") names.add(k);
  return names;
}

async function envFileNames(path: string): Promise<Set<string>> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return new Set();
  return new Set(
    Object.entries(parseEnvFile(text))
      .filter(([, v]) => v !== "")
      .map(([k]) => k),
  );
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
