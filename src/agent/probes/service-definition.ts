import { dirname, isAbsolute, join } from "node:path";
import type { EnvPresence, ServiceDefinitionData } from "../../contract/catalog.ts";
import { readdir, readFile, realpath, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { loadAgentPolicy } from "../policy.ts";
import type { ProbeContext } from "./context.ts";
import { envPresence } from "./env-presence.ts";
import { parseEnvFile, splitSystemdWords } from "./host/service-units.ts";
import { detectSupervisor, type SupervisorDeclaration } from "./host/supervisor.ts";
import type { Probe } from "./probe.ts";

/**
 * What the service manager would start at the next restart (issue 30, class 12): the unit file
 * (or plist) and its drop-ins, read as files, never through systemctl. A start command whose
 * runtime or OpenClaw entry point is gone, or that runs another OpenClaw than the one installed,
 * breaks only at the next restart; drop-ins older than the unit pin what a reinstall replaced;
 * a user and a system unit both enabled start two gateways at boot. Also the names (never the
 * values) of the variables the definition hands the gateway.
 */
export const probeServiceDefinition: Probe<"service.definition"> = async (ctx, _args, run) => {
  const owners = await run.readings.portOwners().catch(() => ({ owners: [] }));
  const listener = owners.owners.find((o) => o.pid !== null)?.pid ?? null;
  const found = await findDefinition(ctx, listener);
  const enabled = await enabledUnits(ctx.serviceUnitDirs);
  const base: ServiceDefinitionData = { supervisor: found.kind, path: null, ...(enabled.length ? { enabled } : {}) };
  if (found.kind === "systemd") return { ...base, unit: found.unit, ...(await readSystemd(ctx, found)) };
  if (found.kind === "launchd") return { ...base, unit: found.label, ...(await readLaunchd(ctx, found.label)) };
  return base;
};

type Definition = SupervisorDeclaration | { kind: "unknown" };

/** policy.json's declaration, else the listener's cgroup, else the one *openclaw*.service unit file. */
async function findDefinition(ctx: ProbeContext, listener: number | null): Promise<Definition> {
  const policy = ctx.agentDir ? loadAgentPolicy(ctx.agentDir) : null;
  if (policy?.ok && policy.policy.supervisor) return policy.policy.supervisor;
  if (listener !== null) {
    const detected = await detectSupervisor(ctx.procRoot, listener);
    if (detected.kind !== "manual") return detected;
  }
  const units = new Map<string, boolean>();
  for (const dir of ctx.serviceUnitDirs) {
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      if (/openclaw/i.test(n) && /^[\w@.:-]+\.service$/.test(n) && !n.includes("@.") && !units.has(n))
        units.set(n, isUserDir(dir));
    }
  }
  if (units.size === 1) {
    const [[unit, user]] = [...units] as [[string, boolean]];
    return { kind: "systemd", unit, user };
  }
  return listener !== null ? { kind: "manual" } : { kind: "unknown" };
}

const isUserDir = (dir: string) => /systemd\/user\/?$/.test(dir);

/** Directives of a drop-in that change what runs. */
const RUN_DIRECTIVES = new Set(["ExecStart", "Environment", "EnvironmentFile", "WorkingDirectory", "User", "Group"]);

async function readSystemd(
  ctx: ProbeContext,
  unit: { unit: string; user: boolean },
): Promise<Omit<ServiceDefinitionData, "supervisor">> {
  const dirs = ctx.serviceUnitDirs.filter((d) => !/Library\//.test(d));
  const scoped = dirs.filter((d) => isUserDir(d) === unit.user);
  let path: string | null = null;
  let text = "";
  for (const dir of [...scoped, ...dirs]) {
    const candidate = join(dir, unit.unit);
    const read = await readFile(candidate, "utf8").catch(() => null);
    if (read !== null) {
      path = candidate;
      text = read;
      break;
    }
  }
  if (!path) return { path: null, error: `no unit file ${unit.unit} in ${scoped.join(", ") || dirs.join(", ")}` };
  const dropInPaths: string[] = [];
  for (const dir of dirs) {
    const d = join(dir, `${unit.unit}.d`);
    for (const n of (await readdir(d).catch(() => [] as string[])).filter((x) => x.endsWith(".conf")).sort())
      dropInPaths.push(join(d, n));
  }
  let execStart: string[] | undefined;
  const env: { name: string; value: string }[] = [];
  const apply = async (content: string) => {
    for (const { key, value } of directives(content, "Service")) {
      if (key === "ExecStart")
        execStart = value.trim() === "" ? undefined : splitSystemdWords(value.replace(/^[-@:+!]+/, ""));
      else if (key === "Environment") {
        if (value.trim() === "") env.length = 0;
        for (const word of splitSystemdWords(value)) {
          const eq = word.indexOf("=");
          if (eq > 0) env.push({ name: word.slice(0, eq), value: word.slice(eq + 1) });
        }
      } else if (key === "EnvironmentFile" && value.trim() !== "") {
        const file = value.trim().replace(/^-/, "");
        const content = await readFile(file, "utf8").catch(() => null);
        if (content !== null)
          for (const [name, v] of Object.entries(parseEnvFile(content))) env.push({ name, value: v });
      }
    }
  };
  await apply(text);
  const dropIns: NonNullable<ServiceDefinitionData["dropIns"]> = [];
  for (const p of dropInPaths) {
    const content = await readFile(p, "utf8").catch(() => "");
    await apply(content);
    const keys = [...new Set(directives(content, "Service").map((d) => d.key))].filter((k) => RUN_DIRECTIVES.has(k));
    dropIns.push({ path: p, modifiedAt: await mtime(p), overrides: keys });
  }
  const out: Omit<ServiceDefinitionData, "supervisor"> = {
    path,
    modifiedAt: await mtime(path),
    environment: presences(env),
    ...(dropIns.length ? { dropIns } : {}),
  };
  if (execStart) Object.assign(out, await judgeCommand(execStart));
  return out;
}

/** `Key=Value` lines of one section (all sections when none is named), continuations joined. */
function directives(text: string, section?: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  let current = "";
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[") && line.endsWith("]")) {
      current = line.slice(1, -1);
      continue;
    }
    if (section && current !== section) continue;
    const eq = line.indexOf("=");
    if (eq > 0) out.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

const mtime = async (path: string) => {
  const s = await stat(path).catch(() => null);
  return s ? isoTime(s.mtimeMs) : "";
};

/** Flags whose next word is a secret (`--token X`, `--password X`). */
const SECRET_FLAGS = new Set(["--token", "--password"]);

/**
 * The start command judged: which of its paths are gone, and which OpenClaw it runs (the
 * package.json above its entry point). `openclaw gateway install` writes
 * `<node> [--max-old-space-size=…] <…>/openclaw/dist/index.js gateway --port N` (dist
 * program-args: resolveGatewayProgramArguments), or a wrapper script in place of the first two.
 */
export async function judgeCommand(
  argv: string[],
): Promise<Pick<ServiceDefinitionData, "execStart" | "missingPaths" | "openclaw">> {
  const shown = argv.map((a, i) =>
    SECRET_FLAGS.has(argv[i - 1] ?? "")
      ? "***"
      : /^--(token|password)=/.test(a)
        ? `${a.slice(0, a.indexOf("=") + 1)}***`
        : a,
  );
  const paths = argv.filter(
    (a, i) => isAbsolute(a) && (i === 0 || /\.(m?js|cjs)$|\/openclaw(\.mjs)?$|\/bin\//.test(a)),
  );
  const missingPaths: string[] = [];
  let openclaw: ServiceDefinitionData["openclaw"];
  for (const p of paths) {
    const real = await realpath(p).catch(() => null);
    if (real === null) {
      missingPaths.push(p);
      continue;
    }
    openclaw ??= await openclawPackage(real);
  }
  return { execStart: shown, ...(missingPaths.length ? { missingPaths } : {}), ...(openclaw ? { openclaw } : {}) };
}

/** The nearest package.json named `openclaw` above a file, with its version. */
async function openclawPackage(file: string): Promise<ServiceDefinitionData["openclaw"]> {
  let dir = dirname(file);
  for (let i = 0; i < 6; i++) {
    const text = await readFile(join(dir, "package.json"), "utf8").catch(() => null);
    if (text !== null) {
      try {
        const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
        if (pkg.name === "openclaw")
          return { root: dir, version: typeof pkg.version === "string" ? pkg.version.slice(0, 40) : null };
      } catch {
        // Not a package we can read: keep looking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** `.wants/` links to units named *openclaw*, per scope: what starts at boot or login. */
async function enabledUnits(dirs: readonly string[]): Promise<NonNullable<ServiceDefinitionData["enabled"]>> {
  const out: NonNullable<ServiceDefinitionData["enabled"]> = [];
  const seen = new Set<string>();
  for (const dir of dirs.filter((d) => !/Library\//.test(d))) {
    for (const wants of (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.(wants|requires)$/.test(n))) {
      for (const n of await readdir(join(dir, wants)).catch(() => [] as string[])) {
        if (!/openclaw/i.test(n) || !n.endsWith(".service")) continue;
        const scope = isUserDir(dir) ? "user" : "system";
        if (seen.has(`${scope}:${n}`)) continue;
        seen.add(`${scope}:${n}`);
        out.push({ scope, unit: n, link: join(dir, wants, n) });
      }
    }
  }
  return out;
}

/** A launchd job's plist: ProgramArguments and EnvironmentVariables. */
async function readLaunchd(ctx: ProbeContext, label: string): Promise<Omit<ServiceDefinitionData, "supervisor">> {
  for (const dir of ctx.serviceUnitDirs.filter((d) => /Library\//.test(d))) {
    const path = join(dir, `${label}.plist`);
    const xml = await readFile(path, "utf8").catch(() => null);
    if (xml === null) continue;
    const argsXml = /<key>\s*ProgramArguments\s*<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(xml)?.[1] ?? "";
    const argv = [...argsXml.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) => decodeXml(m[1] ?? ""));
    const envXml = /<key>\s*EnvironmentVariables\s*<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(xml)?.[1] ?? "";
    const env = [...envXml.matchAll(/<key>\s*([^<]+?)\s*<\/key>\s*<string>([\s\S]*?)<\/string>/g)].map((m) => ({
      name: m[1] ?? "",
      value: decodeXml(m[2] ?? ""),
    }));
    return {
      path,
      modifiedAt: await mtime(path),
      environment: presences(env),
      ...(argv.length ? await judgeCommand(argv) : {}),
    };
  }
  return { path: null, error: `no ${label}.plist in the LaunchAgents/LaunchDaemons folders` };
}

function presences(env: { name: string; value: string }[]): EnvPresence[] {
  const last = new Map<string, string>();
  for (const e of env) last.set(e.name, e.value);
  return [...last].map(([name, value]) => envPresence(name, value)).slice(0, 100);
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
