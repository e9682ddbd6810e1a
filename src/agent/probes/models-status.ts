import { DEFAULT_STEP_DEADLINE_MS, type ModelsStatusData } from "../../contract/catalog.ts";
import { isCliOnlyRef } from "../../contract/model-refs.ts";
import { execCommand } from "./exec.ts";
import { parseJsonOutput } from "./gateway-status.ts";
import { budget, type Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

const STDERR_TAIL_CHARS = 1_000;
const MAX_LIST = 20;
const MAX_TEXT = 300;

type Route = ModelsStatusData["cliOnlyRoutes"][number];

/**
 * Model routing as the CLI resolves it (`openclaw models status --json`, 1.6–2.7 s, works
 * without a gateway: GATEWAY-FACTS §3), plus the model refs read from the config file, so a
 * CLI-only backend (`claude-cli/…`, which disables file-class tools on purpose: seeds) is
 * seen even when the CLI call fails.
 */
export const probeModelsStatus: Probe<"models.status"> = async (ctx, args, run) => {
  const [secrets, config] = await Promise.all([run.readings.knownSecrets(), run.readings.config()]);
  const configModelRefs = config.modelRefs.slice(0, MAX_LIST).map((r) => ({ ref: cut(r.ref), source: r.source }));
  const res = await execCommand(ctx.openclawBin, ["models", "status", "--json"], {
    env: { ...ctx.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeoutMs: budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["models.status"]),
    signal: run.signal,
    maxOutputBytes: 1024 * 1024,
  });
  const data: ModelsStatusData = {
    exitCode: res.exitCode,
    timedOut: res.timedOut,
    configModelRefs,
    cliOnlyRoutes: [],
  };
  const stderr = res.stderr.trim();
  if (stderr) data.stderrTail = redactText(stderr.slice(-STDERR_TAIL_CHARS), secrets);
  if (res.spawnError) data.parseError = `cannot run ${ctx.openclawBin}: ${res.spawnError.message}`;
  else if (!res.timedOut && !res.aborted) {
    const summary = summarizeModelsStatus(res.stdout);
    if ("parseError" in summary) data.parseError = summary.parseError;
    else data.json = summary.json;
  }
  data.cliOnlyRoutes = cliOnlyRoutes(configModelRefs, data.json);
  return data;
};

export function summarizeModelsStatus(
  stdout: string,
): { json: NonNullable<ModelsStatusData["json"]> } | { parseError: string } {
  const parsed = parseJsonOutput(stdout);
  if (!parsed.ok) return { parseError: parsed.error };
  const root = record(parsed.value);
  const auth = record(root.auth);
  if (!("defaultModel" in root) && !("auth" in root)) {
    return { parseError: `unknown models status shape (keys: ${Object.keys(root).slice(0, 8).join(", ")})` };
  }
  const json: NonNullable<ModelsStatusData["json"]> = {};
  if (typeof root.defaultModel === "string" || root.defaultModel === null) json.defaultModel = root.defaultModel;
  if (typeof root.resolvedDefault === "string" || root.resolvedDefault === null)
    json.resolvedDefault = root.resolvedDefault;
  const fallbacks = strings(root.fallbacks);
  if (fallbacks) json.fallbacks = fallbacks;
  const missing = strings(auth.missingProvidersInUse);
  if (missing) json.missingProvidersInUse = missing;
  if (Array.isArray(auth.modelRouteIssues))
    json.modelRouteIssues = auth.modelRouteIssues.slice(0, MAX_LIST).map(issueLine);
  if (Array.isArray(auth.runtimeAuthRoutes)) {
    json.runtimeAuthRoutes = auth.runtimeAuthRoutes.slice(0, MAX_LIST).map((raw) => {
      const r = record(raw);
      const route: NonNullable<typeof json.runtimeAuthRoutes>[number] = {};
      for (const key of ["provider", "runtime", "status", "runtimeReason"] as const) {
        const v = r[key];
        if (typeof v === "string") route[key] = cut(v);
      }
      return route;
    });
  }
  return { json };
}

export { isCliOnlyRef };

export function cliOnlyRoutes(configRefs: readonly Route[], json: ModelsStatusData["json"]): Route[] {
  const candidates: Route[] = [...configRefs];
  const add = (ref: string | null | undefined, source: string) => {
    if (ref) candidates.push({ ref, source });
  };
  add(json?.defaultModel, "models status defaultModel");
  add(json?.resolvedDefault, "models status resolvedDefault");
  for (const f of json?.fallbacks ?? []) add(f, "models status fallbacks");
  for (const r of json?.runtimeAuthRoutes ?? []) {
    if (r.provider && isCliOnlyRef(r.provider)) add(r.provider, "models status runtimeAuthRoutes");
  }
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = `${c.ref}\u0000${c.source}`;
    if (!isCliOnlyRef(c.ref) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function issueLine(raw: unknown): string {
  if (typeof raw === "string") return cut(raw);
  const r = record(raw);
  const parts = ["provider", "ref", "model", "kind", "code", "message", "detail"]
    .map((k) => r[k])
    .filter((v): v is string => typeof v === "string" && v !== "");
  return cut(parts.length > 0 ? parts.join(" ") : JSON.stringify(raw));
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((v): v is string => typeof v === "string")
    .slice(0, MAX_LIST)
    .map(cut);
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
