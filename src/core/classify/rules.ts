import { type Evidence, openclawInvisible } from "./evidence.ts";
import { gatewayStatusExit0, gatewayStatusExit0WhenDown, healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { isGatewayCommand, isStopped, ownGatewayProcesses } from "./gateway-processes.ts";
import { AUTH_RULES } from "./rules-auth.ts";
import { CLI_RULES } from "./rules-cli.ts";
import { CONFIG_RULES } from "./rules-config.ts";
import { FIELD_RULES, FIELD_START_RULES, startFailureCommands } from "./rules-field.ts";
import { FIELD_CHANNEL_RULES } from "./rules-field-channels.ts";
import { FIELD_MODEL_RULES } from "./rules-field-models.ts";
import { FIELD_PROCESS_RULES } from "./rules-field-process.ts";
import { FIELD_READING_RULES } from "./rules-field-readings.ts";
import { FIELD_TLS_RULES } from "./rules-field-tls.ts";
import { FIELD_WORK_RULES } from "./rules-field-work.ts";
import { LOG_RULES, START_FAILURE_RULES } from "./rules-logs.ts";
import { CHANNEL_RULES, SERVICE_RULES, SESSION_LOG_RULES, SUPERVISOR_RULES } from "./rules-service.ts";
import { quoteWs } from "./ws-evidence.ts";

/**
 * The findings catalog. Order is priority among rules of equal severity and confidence:
 * root causes (nothing running, something else on the port) come before the symptoms they
 * produce. Sources for every signature: GATEWAY-FACTS §3–§7 and the seeds' ladders.
 */

const CORE_RULES: readonly Rule[] = [
  {
    id: "openclaw-not-found",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "No OpenClaw installation visible to the agent",
    explanation:
      "The agent found neither the `openclaw` CLI nor a gateway config. Either OpenClaw is not installed on this host, or " +
      "the agent runs with a different user, HOME or PATH than the gateway (a service manager's PATH rarely has Node 24 " +
      "and openclaw), so it is looking in the wrong place. Every other finding here follows from that.",
    nextCommands: [
      "which openclaw && openclaw --version   # as the gateway's user",
      "set CLAWOPS_OPENCLAW_BIN and OPENCLAW_CONFIG_PATH (or OPENCLAW_STATE_DIR) in the agent's unit to the gateway's",
      "systemctl restart clawops-agent",
    ],
    match(e) {
      if (!openclawInvisible(e)) return null;
      return [
        `openclaw --version: ${e.versions?.openclawError ?? "not found"}`,
        `config ${e.config?.path}: file not found`,
      ];
    },
  },
  {
    id: "gateway-down",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "Gateway is not running",
    explanation:
      "Nothing is listening on the gateway port and no openclaw-gateway process exists, so every client connect is refused. " +
      "`openclaw status` and `doctor --non-interactive` still exit 0 in this state and `status`/`health` wait 60 s before saying so, " +
      "which is why it can look like a slow network rather than a dead gateway.",
    nextCommands: [
      "openclaw gateway status",
      "openclaw logs --limit 200 --plain",
      "openclaw doctor --non-interactive",
      "openclaw gateway restart   # supervised; or start it the way it is normally run",
    ],
    // When its last start was refused, only what the gateway's own refusal says can help.
    commands: startFailureCommands,
    falseGreen: gatewayStatusExit0WhenDown,
    match(e) {
      const ws = e["gateway.ws"];
      const pl = e["port.listeners"];
      if (ws?.outcome !== "refused") return null;
      if (pl && (pl.listeners.length > 0 || ownGatewayProcesses(pl).length > 0)) return null;
      const lines = quoteWs(e);
      if (pl) lines.push(`port ${pl.port}: no listener; openclaw-gateway processes: 0`);
      const h = e["gateway.http"];
      if (h?.healthz.status === null) lines.push(`GET /healthz: ${h.healthz.error ?? "no answer"}`);
      const gs = e["gateway.status"]?.json;
      if (gs?.runtimeStatus) lines.push(`gateway status: runtime ${gs.runtimeStatus}, port ${gs.portStatus ?? "?"}`);
      return lines;
    },
  },
  {
    id: "gateway-stopped",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "The gateway process is stopped (SIGSTOP): it holds the port and answers nothing",
    explanation:
      "This config's openclaw-gateway process exists but the kernel reports it stopped (state T: SIGSTOP, a debugger, " +
      "or job control such as Ctrl-Z on a foreground `openclaw gateway run`). It still holds its port, so process and " +
      "port checks look fine, but it runs no code: the WebSocket handshake and HTTP probes get no answer until it is " +
      "resumed (`kill -CONT <pid>`) or restarted.",
    nextCommands: [
      "ps -o pid,stat,lstart,args -C openclaw-gateway   # STAT T = stopped",
      "kill -CONT <pid>",
      "openclaw gateway status",
    ],
    match(e) {
      const pl = e["port.listeners"];
      const stopped = pl ? ownGatewayProcesses(pl).filter((p) => isStopped(p.state)) : [];
      if (stopped.length === 0) return null;
      return [
        ...stopped.map((p) => `openclaw-gateway pid ${p.pid ?? "?"}: kernel state ${p.state} (stopped)`),
        ...quoteWs(e),
      ];
    },
  },
  {
    id: "port-held-by-other",
    layer: "port",
    severity: "fail",
    confidence: "high",
    title: "Something other than the gateway holds the gateway port",
    explanation:
      "A process that is not openclaw-gateway listens on the gateway port, so clients reach the wrong server and the " +
      "WebSocket upgrade is refused. A gateway started on that port would find it taken: a second gateway on a held port " +
      "fails with EADDRINUSE (exit 1 after ~20 s of retries, seen on OpenClaw 2026.9.6).",
    nextCommands: [
      "ss -ltnp | grep :<port>   # who holds it",
      "openclaw gateway status --deep",
      "stop the other process or move the gateway: openclaw config set gateway.port <free port>",
      "openclaw gateway restart",
    ],
    falseGreen: (e) => (e["gateway.http"]?.healthz.status === 200 ? "an HTTP check of the port answers 200" : null),
    match(e) {
      const pl = e["port.listeners"];
      const ws = e["gateway.ws"];
      const others = pl?.listeners.filter((l) => !isGatewayCommand(l.command)) ?? [];
      const gatewayListens = pl?.listeners.some((l) => isGatewayCommand(l.command)) ?? false;
      if (others.length > 0 && !gatewayListens) {
        return [
          ...others.map(
            (l) => `port ${pl?.port}: ${l.address} held by pid ${l.pid ?? "?"} ${l.command ?? "(unknown process)"}`,
          ),
          ...quoteWs(e),
        ];
      }
      if (ws?.outcome === "upgrade-refused" && !gatewayListens) {
        return [
          ...quoteWs(e),
          `WebSocket upgrade refused with HTTP ${ws.upgradeStatus ?? "?"}: not an OpenClaw gateway`,
        ];
      }
      return null;
    },
  },
  {
    id: "dual-gateway-process",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "More than one OpenClaw gateway process is running",
    explanation:
      "Two live gateway processes serve this host's config (same config path or state dir), typically an old one left " +
      "behind by an upgrade or a manual start beside the service. Gateways of other configs (another profile or state " +
      "folder) are not counted. Probes may reach one listener while clients or the service manager talk to the other, " +
      "so health can look fine while sessions fail.",
    nextCommands: [
      "openclaw gateway status --deep",
      "ps -o pid,lstart,args -C openclaw-gateway",
      "stop the stale process, then: openclaw gateway restart",
    ],
    match(e) {
      const pl = e["port.listeners"];
      const procs = pl ? ownGatewayProcesses(pl) : [];
      if (procs.length < 2) return null;
      return procs.map((p) => `openclaw-gateway pid ${p.pid ?? "?"}${p.commandLine ? `: ${p.commandLine}` : ""}`);
    },
  },
  {
    id: "gateway-unresponsive",
    layer: "transport",
    severity: "fail",
    confidence: "medium",
    title: "Gateway accepts connections but does not answer the handshake",
    explanation:
      "The port is open but the gateway sent no challenge or no answer to connect within the deadline. A hung event loop, " +
      "a gateway still starting, or a proxy that swallows WebSocket frames all look like this.",
    nextCommands: ["openclaw gateway status", "openclaw logs --limit 200 --plain", "openclaw health --timeout 3000"],
    falseGreen: healthzGreen,
    match(e) {
      const ws = e["gateway.ws"];
      if (ws?.outcome !== "timeout") return null;
      return [
        ...quoteWs(e),
        ws.challenged ? "challenge received, connect unanswered" : "no connect.challenge received",
      ];
    },
  },
  {
    id: "protocol-mismatch",
    layer: "transport",
    severity: "fail",
    confidence: "high",
    title: "Client and gateway speak different protocol versions",
    explanation:
      "The gateway refused the connect with PROTOCOL_MISMATCH and closed 1002. The gateway speaks protocol v4; a client or " +
      "gateway that was upgraded on one side only cannot talk to the other.",
    nextCommands: [
      "openclaw --version",
      "openclaw gateway status",
      "upgrade the older side, then: openclaw gateway restart",
    ],
    match(e) {
      const ws = e["gateway.ws"];
      if (ws?.error?.detailCode === "PROTOCOL_MISMATCH" || ws?.close?.code === 1002) return quoteWs(e);
      return null;
    },
  },
  {
    id: "token-drift",
    layer: "auth",
    severity: "fail",
    confidence: "high",
    title: "Token drift: the running gateway rejects the configured token",
    explanation:
      "The token in the config (what the CLI and clients use) is not the token the running gateway accepts " +
      "(AUTH_TOKEN_MISMATCH, close 1008). A rotation that reached only one side (config, service environment, shell, or " +
      "the gateway's start arguments) can give intermittent success and bulk failure. Each failed attempt also slows the next " +
      "answer (up to 5 s), so CLI probes with a short budget report a misleading timeout.",
    nextCommands: [
      "openclaw gateway status --json   # rpc.connectFailure.detailCode",
      "openclaw config get gateway.auth.token",
      "make every token source the same (config, service env, shell env), from one shell",
      "openclaw gateway restart",
    ],
    falseGreen: (e) =>
      joinGreens(
        healthzGreen(e),
        gatewayStatusExit0(e),
        e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null,
      ),
    match(e) {
      const ws = e["gateway.ws"];
      if (ws?.error?.detailCode !== "AUTH_TOKEN_MISMATCH") return null;
      const lines = quoteWs(e);
      lines.push(...tokenSourceLines(e));
      return lines;
    },
  },
  {
    id: "token-missing",
    layer: "auth",
    severity: "fail",
    confidence: "high",
    title: "No gateway token available to clients",
    explanation:
      "The gateway requires a shared token but the client had none to send. Without a paired device identity the gateway " +
      "answers DEVICE_IDENTITY_REQUIRED (not AUTH_TOKEN_MISSING), which reads like a pairing problem but is a missing token.",
    nextCommands: [
      "openclaw config get gateway.auth.mode",
      "openclaw config set gateway.auth.token <token>   # or set OPENCLAW_GATEWAY_TOKEN for clients",
      "openclaw gateway restart",
    ],
    match(e) {
      const ws = e["gateway.ws"];
      const code = ws?.error?.detailCode;
      const cfg = e.config;
      // The token is in a config the agent cannot parse: its absence is that finding, not this one.
      if (cfg?.parseError) return null;
      if (code === "AUTH_TOKEN_MISSING" || code === "DEVICE_IDENTITY_REQUIRED") return quoteWs(e);
      if (cfg?.exists && !cfg.parseError && cfg.authMode === "token" && !cfg.tokenConfigured) {
        const shell = e.tokens?.sources.find((s) => s.source === "shell-env" && s.present);
        if (!shell)
          return [`config ${cfg.path}: gateway.auth.mode=token but gateway.auth.token is not set`, ...quoteWs(e)];
      }
      return null;
    },
  },
  {
    id: "close-1000-not-success",
    layer: "transport",
    severity: "fail",
    confidence: "medium",
    title: "Connection closed 1000 with an empty reason before the handshake finished",
    explanation:
      "Close code 1000 normally means a clean close, but the gateway also closes 1000 with an empty reason when the " +
      "handshake times out (15 s) or a frame is not JSON. Before hello-ok it is a failure, not success: look for a proxy " +
      "or client that mangles or delays frames.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # look for 'handshake timeout' or 'parse/handle error'",
      "check reverse proxies between client and gateway (idle timeouts, frame rewriting)",
      "openclaw gateway status",
    ],
    falseGreen: healthzGreen,
    match(e) {
      const ws = e["gateway.ws"];
      if (ws?.outcome === "closed" && ws.close?.code === 1000 && ws.close.reason === "") return quoteWs(e);
      return null;
    },
  },
  {
    id: "missing-operator-scope",
    layer: "scope",
    severity: "warn",
    confidence: "high",
    title: "Connected, but without the operator.read scope",
    explanation:
      "The handshake succeeded but the session lacks operator.read, so status and device/tool calls fail with " +
      "FORBIDDEN MISSING_SCOPE. This is the classic false green: RPC connectivity is OK while clients see failures.",
    nextCommands: ["openclaw devices list", "openclaw devices approve <requestId>", "openclaw status --all"],
    falseGreen: (e) => (e["gateway.ws"]?.outcome === "hello-ok" ? "the WebSocket handshake itself succeeded" : null),
    match(e) {
      const ws = e["gateway.ws"];
      if (ws?.outcome !== "hello-ok") return null;
      const err = ws.statusRpc?.error;
      if (err?.detailCode === "MISSING_SCOPE") {
        return [
          `status RPC → ${err.code ?? "FORBIDDEN"} "${err.message}"`,
          `granted scopes: [${ws.auth?.scopes.join(", ") ?? ""}]`,
        ];
      }
      if (ws.auth && !ws.auth.scopes.includes("operator.read") && !ws.auth.scopes.includes("operator.admin")) {
        return [`granted scopes: [${ws.auth.scopes.join(", ")}] (operator.read requested)`];
      }
      return null;
    },
  },
  ...CONFIG_RULES,
  {
    id: "token-sources-disagree",
    layer: "auth",
    severity: "warn",
    confidence: "medium",
    title: "Token sources disagree (latent drift)",
    explanation:
      "The gateway currently accepts the configured token, but other places that hold a gateway token (service " +
      "environment, shell environment, start arguments, a .env file OpenClaw loads, the config's env block) carry a " +
      "different one. A client that sends the token from that source may be refused with AUTH_TOKEN_MISMATCH. A stale " +
      "OPENCLAW_GATEWAY_TOKEN in a shell does not change what the local CLI sends: it keeps using the config token " +
      "(`gateway status` still connects, seen on OpenClaw 2026.9.6). A token in the gateway's start arguments or service " +
      "environment is one a restart could bring in.",
    nextCommands: [
      "openclaw status   # Secret diagnostics",
      "unify the token across config, service env, shell env and ~/.openclaw/.env",
    ],
    match(e) {
      const t = e.tokens;
      if (!t || t.distinct < 2) return null;
      if (e["gateway.ws"]?.error?.detailCode === "AUTH_TOKEN_MISMATCH") return null;
      return tokenSourceLines(e);
    },
  },
];

/**
 * Start refusals read from the log come first: when the gateway is down they say why. The
 * log/doctor/models findings come last: among equal severity, what the gateway answers live
 * outranks what its history says.
 */
export const RULES: readonly Rule[] = [
  ...START_FAILURE_RULES,
  ...SERVICE_RULES,
  ...FIELD_START_RULES,
  ...SUPERVISOR_RULES,
  ...FIELD_PROCESS_RULES,
  ...FIELD_WORK_RULES,
  ...CORE_RULES,
  ...AUTH_RULES,
  ...LOG_RULES,
  ...CHANNEL_RULES,
  ...FIELD_RULES,
  ...FIELD_CHANNEL_RULES,
  ...FIELD_MODEL_RULES,
  ...FIELD_READING_RULES,
  ...FIELD_TLS_RULES,
  ...SESSION_LOG_RULES,
  ...CLI_RULES,
];

function tokenSourceLines(e: Evidence): string[] {
  const t = e.tokens;
  if (!t) return [];
  const lines = t.sources
    .filter((s) => s.present)
    .map((s) => `token source ${s.source} (${s.where}): ${s.fingerprint}`);
  const accepted = t.accepted?.fingerprint;
  if (accepted) {
    const who = t.sources.filter((s) => s.fingerprint === accepted).map((s) => s.source);
    lines.push(`running gateway accepts ${accepted}${who.length ? ` (= ${who.join(", ")})` : ""}`);
  }
  return lines;
}
