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
      "loopback-only gateway and a plaintext token give two on a healthy host); errors are not, and a gateway " +
      "restarted in this state usually refuses to start.",
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
      "The agent's default model goes through a `*-cli/…` backend (for example claude-cli/ or codex-cli/). These " +
      "routes intentionally disable file-class tools, which looks like 'gateway online but tools unavailable' and is " +
      "easily mistaken for a transport problem (closed 1000). Use an API-backed provider route for agents that need tools.",
    nextCommands: [
      "openclaw models status",
      "openclaw config get agents.defaults.model",
      "openclaw config set agents.defaults.model <provider>/<model>   # an API route, not *-cli/",
    ],
    match(e) {
      const routes = (e["models.status"]?.cliOnlyRoutes ?? []).filter((r) => isDefaultRoute(r.source));
      return routes.length > 0 ? routes.map((r) => `model route ${r.ref} (${r.source}): provider ends in -cli`) : null;
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
      "doctor and the service files are new; stricter defaults or a protocol change then surprise at the next restart.",
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
      const routes = (e["models.status"]?.cliOnlyRoutes ?? []).filter((r) => !isDefaultRoute(r.source));
      return routes.length > 0 ? routes.map((r) => `model route ${r.ref} (${r.source}): provider ends in -cli`) : null;
    },
  },
  {
    id: "model-auth-missing",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "No credentials for a model provider in use",
    explanation:
      "`openclaw models status` lists providers that the configured models use but that have no credentials. The " +
      "gateway itself is healthy (a freshly set-up gateway looks exactly like this), but every agent turn on those " +
      "models fails with a provider authentication error, which reads like a gateway fault from a chat channel.",
    nextCommands: [
      "openclaw models status",
      "openclaw models auth login --provider <provider>   # or set the provider's API key env var",
      "openclaw configure",
    ],
    match(e) {
      const json = e["models.status"]?.json;
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

function isDefaultRoute(source: string): boolean {
  return (
    source === "agents.defaults.model" ||
    source === "agents.defaults.model.primary" ||
    source === "models status defaultModel" ||
    source === "models status resolvedDefault"
  );
}
