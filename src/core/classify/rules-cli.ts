import { isCliOnlyRef, providerOf } from "../../contract/model-refs.ts";
import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";

/**
 * Findings from the OpenClaw CLI's own views (`doctor --lint --json`, `models status --json`)
 * and from the versions on both sides of the handshake (GATEWAY-FACTS §3, seeds 000/001/004).
 */

export function doctorErrors(e: Evidence) {
  return (e["doctor.lint"]?.findings ?? []).filter((f) => f.severity.toLowerCase() === "error");
}

export const doctorErrorLines = (e: Evidence, max = 3) =>
  doctorErrors(e)
    .slice(0, max)
    .map((f) => `doctor --lint: error ${f.checkId}: ${f.message}`);

function version(v: string | null | undefined): string | null {
  const m = v ? /^v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)$/.exec(v.trim()) : null;
  return m?.[1] ?? null;
}

export const CLI_RULES: readonly Rule[] = [
  {
    id: "doctor-lint-error",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "openclaw doctor --lint reports an error",
    explanation:
      "OpenClaw's own static checks found an error-level problem in the config or state. Warnings are normal (a " +
      "loopback-only gateway and a plaintext token give two on a freshly set-up host); errors are not, and a gateway " +
      "restarted in this state may refuse to start (one that doctor could not migrate made OpenClaw 2026.9.6 exit 78).",
    nextCommands: ["openclaw doctor --lint --json", "openclaw doctor", "openclaw doctor --fix   # after reading it"],
    match(e) {
      const lines = doctorErrorLines(e, 5);
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "cli-only-model-backend",
    layer: "model_routing",
    severity: "fail",
    confidence: "high",
    title: "The default model route is a CLI-only backend: file tools are disabled",
    explanation:
      "The agent's default model goes through a `*-cli/…` backend (for example claude-cli/ or codex-cli/). OpenClaw " +
      "documents that these routes disable file-class tools, which can look like 'gateway online but tools unavailable' " +
      "and be mistaken for a transport problem (closed 1000). Where doctor says why (the CLI not found on PATH), its " +
      "words are quoted. Use an API-backed provider route for agents that need tools.",
    nextCommands: [
      "openclaw models status",
      "openclaw config get agents.defaults.model",
      "openclaw config set agents.defaults.model <provider>/<model>   # an API route, not *-cli/",
    ],
    match(e) {
      const routes = cliOnlyRoutesOf(e).filter((r) => isDefaultRoute(r.source));
      if (routes.length === 0) return null;
      return [...routes.map((r) => `model route ${r.ref} (${r.source}): provider ends in -cli`), ...doctorSaysWhy(e)];
    },
  },
  {
    id: "version-skew",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "Installed OpenClaw differs from the running gateway (upgraded but not restarted?)",
    explanation:
      "The `openclaw` CLI on this host reports another version than the running gateway announces in its handshake. " +
      "Usually the package was upgraded and the gateway was not restarted, so it still runs old code while the CLI, " +
      "doctor and the service files are new; stricter defaults or a protocol change may then surprise at the next restart.",
    nextCommands: [
      "openclaw --version",
      "openclaw gateway status   # CLI version vs Gateway version",
      "openclaw gateway restart",
    ],
    match(e) {
      const cli = version(e.versions?.openclaw);
      const gw = version(e["gateway.ws"]?.server?.version) ?? version(e["gateway.status"]?.json?.gatewayVersion);
      if (!cli || !gw || cli === gw) return null;
      return [`openclaw --version: ${cli}`, `running gateway server.version: ${gw}`];
    },
  },
  {
    id: "cli-only-model-fallback",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "A fallback or per-agent model route is CLI-only (file tools disabled on it)",
    explanation:
      "A model route other than the default goes through a `*-cli/…` backend. Turns that land on it run without " +
      "file-class tools, so tools appear to vanish intermittently (after a fallback, or for one agent only).",
    nextCommands: ["openclaw models status", "openclaw config get agents.defaults.model", "openclaw config get agents"],
    match(e) {
      const routes = cliOnlyRoutesOf(e).filter((r) => !isDefaultRoute(r.source));
      if (routes.length === 0) return null;
      return [...routes.map((r) => `model route ${r.ref} (${r.source}): provider ends in -cli`), ...doctorSaysWhy(e)];
    },
  },
  {
    id: "model-auth-missing",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "No credentials for a model provider in use",
    // A freshly set-up gateway has this: background, ranked after what is specific to this incident.
    background: true,
    explanation:
      "A model provider in use has no credentials, as `openclaw models status` or the gateway's own model auth status " +
      "(`models.authStatus`) reports it (a freshly set-up gateway shows this too). It speaks only of model credentials, " +
      "not of the gateway's process, port or auth: " +
      "see the other layers for those. Agent turns on those models are expected to fail with a provider authentication " +
      "error (the gateway answers its OpenAI-compatible endpoint 401 'No route-compatible authentication source'), which " +
      "from a chat channel can read like a gateway fault.",
    nextCommands: [
      "openclaw models status",
      "openclaw models auth login --provider <provider>   # or set the provider's API key env var",
      "openclaw configure",
    ],
    match(e) {
      const json = e["models.status"]?.json;
      if (!json) return gatewayModelAuthGaps(e);
      const missing = json?.missingProvidersInUse ?? [];
      if (missing.length === 0) return null;
      const routes = (json?.runtimeAuthRoutes ?? [])
        .filter((r) => r.provider && missing.includes(r.provider))
        .map(
          (r) =>
            `runtime route ${r.provider}/${r.runtime ?? "?"}: ${r.status ?? "?"} (${r.runtimeReason ?? "no reason"})`,
        );
      return [
        `models status: missingProvidersInUse [${missing.join(", ")}]`,
        ...(json?.defaultModel ? [`default model: ${json.defaultModel}`] : []),
        ...routes,
      ];
    },
  },
];

/** Credentials a provider can be used with, as `models.authStatus` rolls them up. */
const USABLE_AUTH = new Set(["ok", "static", "expiring"]);

/**
 * Without `models status`: the gateway's own `models.authStatus` against the model refs the
 * config names. A provider named by the config with no usable credentials is a gap; so is a
 * gateway that holds credentials for no provider at all while the config names no model (the
 * gateway then uses its built-in default, whose provider has none either).
 */
function gatewayModelAuthGaps(e: Evidence): string[] | null {
  const auth = e["gateway.ws"]?.modelsRpc;
  const refs = e.config?.modelRefs;
  if (!auth?.ok || auth.unavailable || !auth.providers || !refs) return null;
  const usable = new Set(auth.providers.filter((p) => USABLE_AUTH.has(p.status)).map((p) => p.provider.toLowerCase()));
  const statusOf = new Map(auth.providers.map((p) => [p.provider.toLowerCase(), p.status]));
  if (refs.length === 0) {
    if (usable.size > 0) return null;
    return [
      `gateway models.authStatus: ${auth.providers.length === 0 ? "no provider has credentials" : `no usable credentials (${auth.providers.map((p) => `${p.provider} ${p.status}`).join(", ")})`}`,
      `config ${e.config?.path ?? ""}: names no model, so the gateway uses its built-in default`,
    ];
  }
  const gaps = new Map<string, string>();
  for (const r of refs) {
    const provider = providerOf(r.ref);
    if (!provider || isCliOnlyRef(r.ref) || usable.has(provider.toLowerCase()) || gaps.has(provider)) continue;
    gaps.set(provider, `${r.ref} (${r.source})`);
  }
  if (gaps.size === 0) return null;
  return [...gaps].map(
    ([provider, where]) =>
      `provider ${provider}, used by ${where}: gateway models.authStatus ${statusOf.has(provider.toLowerCase()) ? `says ${statusOf.get(provider.toLowerCase())}` : "lists no credentials"}`,
  );
}

/** CLI-only routes: from `models status` when it ran, else from the config's own model refs. */
export function cliOnlyRoutesOf(e: Evidence): { ref: string; source: string }[] {
  const fromCli = e["models.status"]?.cliOnlyRoutes;
  if (fromCli) return fromCli;
  return (e.config?.modelRefs ?? []).filter((r) => isCliOnlyRef(r.ref));
}

/** Doctor's own reason for a CLI backend, e.g. `command "claude" was not found on PATH`, quoted as it said it. */
function doctorSaysWhy(e: Evidence): string[] {
  return (e["doctor.lint"]?.findings ?? [])
    .filter((f) => /not found on PATH|-cli\b|cli backend/i.test(`${f.checkId} ${f.message}`))
    .slice(0, 2)
    .map((f) => `doctor --lint: ${f.severity} ${f.checkId}: ${f.message}`);
}

function isDefaultRoute(source: string): boolean {
  return (
    source === "agents.defaults.model" ||
    source === "agents.defaults.model.primary" ||
    source === "models status defaultModel" ||
    source === "models status resolvedDefault"
  );
}
