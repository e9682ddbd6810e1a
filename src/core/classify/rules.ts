import type { PortListenersData } from "../../contract/catalog.ts";
import { type Evidence, openclawInvisible } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { AUTH_RULES } from "./rules-auth.ts";
import { CLI_RULES, doctorErrorLines } from "./rules-cli.ts";
import { LOG_RULES, START_FAILURE_RULES } from "./rules-logs.ts";
import { CHANNEL_RULES, SERVICE_RULES, SESSION_LOG_RULES, SUPERVISOR_RULES } from "./rules-service.ts";
import { quoteWs } from "./ws-evidence.ts";

/**
 * The findings catalog. Order is priority among rules of equal severity and confidence:
 * root causes (nothing running, something else on the port) come before the symptoms they
 * produce. Sources for every signature: GATEWAY-FACTS §3–§7 and the seeds' ladders.
 */

function healthzGreen(e: Evidence): string | null {
  const h = e["gateway.http"];
  return h?.healthz.status === 200 ? 'HTTP /healthz answered 200 {"status":"live"}' : null;
}

function gatewayStatusExit0(e: Evidence): string | null {
  const gs = e["gateway.status"];
  return gs && gs.exitCode === 0 && gs.json?.rpcOk === false
    ? "`openclaw gateway status` exited 0 (it only fails with --require-rpc)"
    : null;
}

const joinGreens = (...greens: (string | null)[]) => {
  const present = greens.filter((g): g is string => g !== null);
  return present.length > 0 ? present.join("; ") : null;
};

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
    falseGreen: gatewayStatusExit0,
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
  {
    id: "gateway-mode-not-local",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "gateway.mode is not local",
    explanation:
      "The config does not say gateway.mode=local. A local gateway refuses to start ('Gateway start blocked: set " +
      "gateway.mode=local'), and with mode=remote the CLI talks to a remote URL while the local service looks fine. " +
      "A config file that was overwritten or no longer parses also loses the mode.",
    nextCommands: [
      "openclaw config get gateway.mode",
      "openclaw config get gateway.remote.url",
      "openclaw config set gateway.mode local   # if this host should run the gateway",
      "openclaw gateway restart",
    ],
    match(e) {
      const cfg = e.config;
      if (!cfg?.exists || cfg.parseError) return null;
      if (cfg.mode === "local") return null;
      return [`config ${cfg.path}: gateway.mode=${cfg.mode ?? "(missing)"}`];
    },
  },
  {
    id: "config-unparseable-running",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "The config file does not parse: the gateway runs its last good config, and a restart will be refused",
    explanation:
      "openclaw.json no longer parses, but this config's gateway is still running: it skipped the reload and keeps " +
      "serving the last config it accepted, on its real port (read here from its socket, not the file), with /readyz " +
      "200. Clients do not notice yet. A restart (or a crash) starts from the file and is refused, leaving no gateway at " +
      "all (seen on OpenClaw 2026.9.6: exit 78 before ready). Fix the file, or restore openclaw.json.last-good, before " +
      "any restart.",
    nextCommands: [
      "openclaw config validate",
      "openclaw logs --limit 50 --plain   # config reload skipped (invalid config)",
      "cp $OPENCLAW_STATE_DIR/openclaw.json.last-good $OPENCLAW_STATE_DIR/openclaw.json   # or fix the syntax error",
      "openclaw gateway restart   # only after the file parses",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null),
    match(e) {
      const cfg = e.config;
      if (!cfg?.parseError || cfg.portSource !== "process") return null;
      return [
        `config ${cfg.path}: ${cfg.parseError}`,
        `running openclaw-gateway pid ${cfg.portPid ?? "?"} of this config listens on ${cfg.port ?? "?"} (port read from its socket)`,
        ...quoteWs(e),
      ];
    },
  },
  {
    id: "config-unreadable",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "Gateway config is missing or does not parse",
    explanation:
      "The agent could not read the gateway config, and no running gateway of this config was found. A gateway started " +
      "from a config that does not parse is refused (exit 78; its message may read like a missing gateway.mode). The " +
      "probes could only guess the port (OpenClaw's default 18789), so whatever answers there is not judged.",
    nextCommands: [
      "openclaw doctor --lint --json",
      "openclaw config get gateway",
      "restore from openclaw.json.last-good if needed",
    ],
    match(e) {
      const cfg = e.config;
      if (!cfg) return null;
      if (!cfg.exists) return [`config ${cfg.path}: file not found`];
      if (cfg.parseError && cfg.portSource !== "process") return [`config ${cfg.path}: ${cfg.parseError}`];
      return null;
    },
  },
  {
    id: "workspace-uncreatable",
    layer: "workspace",
    severity: "fail",
    confidence: "high",
    title: "The workspace cannot be created, and the next restart fails",
    explanation:
      "agents.defaults.workspace points at a directory that does not exist and cannot be made: its nearest existing " +
      "parent is a regular file (ENOTDIR), not writable (EACCES) or on a read-only filesystem (EROFS). The running " +
      "gateway refuses the hot reload and keeps its previous workspace, while /readyz stays 200 and `doctor --lint` may " +
      "say nothing. A restart from this config fails: with a workspace under a regular file OpenClaw 2026.9.6 exits 78 " +
      "('startup migrations did not complete cleanly'); an unwritable or read-only parent is expected to end the same way.",
    nextCommands: [
      "openclaw config get agents.defaults.workspace",
      "ls -ld <the blocking parent>",
      "point the workspace at a creatable directory: openclaw config set agents.defaults.workspace <dir>",
      "openclaw doctor --lint --json   # before any restart",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null),
    match(e) {
      const ws = e.config?.workspace;
      if (!ws || ws.exists || !ws.blockedBy) return null;
      const why =
        ws.blockedBy.code === "ENOTDIR"
          ? `${ws.blockedBy.path} is a regular file (ENOTDIR)`
          : `${ws.blockedBy.path}: ${ws.blockedBy.code}`;
      return [`workspace ${ws.path}: does not exist and cannot be created: ${why}`, ...doctorErrorLines(e, 2)];
    },
  },
  {
    id: "workspace-not-directory",
    layer: "workspace",
    severity: "fail",
    confidence: "high",
    title: "Workspace path exists but is not a directory",
    explanation:
      "agents.defaults.workspace points at a file. The running gateway is likely to keep its previous config ('config " +
      "reload failed' while health and /readyz stay green), and a restart is likely to be refused (a workspace under a " +
      "regular file made OpenClaw 2026.9.6 exit 78 with failed start-up migrations).",
    nextCommands: [
      "openclaw config get agents.defaults.workspace",
      "ls -ld <workspace path>",
      "point the workspace at a real directory: openclaw config set agents.defaults.workspace <dir>",
      "openclaw doctor --lint --json",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null),
    match(e) {
      const ws = e.config?.workspace;
      if (!ws?.exists || ws.isDirectory) return null;
      return [`workspace ${ws.path}: exists but is not a directory`];
    },
  },
  {
    id: "workspace-missing",
    layer: "workspace",
    severity: "warn",
    confidence: "medium",
    title: "Workspace directory does not exist",
    explanation:
      "agents.defaults.workspace points at a directory that is not there, under a parent where it can be created. If it " +
      "was never created the gateway creates it on the first agent turn; if it vanished after initialisation, agent " +
      "turns fail with WORKSPACE_VANISHED. Path-based tools may fail until the path matches the real repository.",
    nextCommands: [
      "openclaw config get agents.defaults.workspace",
      "compare with the repository path on disk (and container bind mounts)",
      "openclaw status --all",
    ],
    match(e) {
      const ws = e.config?.workspace;
      if (!ws || ws.exists || ws.blockedBy) return null;
      return [`workspace ${ws.path}: does not exist${ws.error ? ` (${ws.error})` : ""}`];
    },
  },
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
  ...SUPERVISOR_RULES,
  ...CORE_RULES,
  ...AUTH_RULES,
  ...LOG_RULES,
  ...CHANNEL_RULES,
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

/**
 * Gateways serving this host's config; an intentional second gateway is not a duplicate, and
 * one that has exited (a zombie) serves nobody.
 */
export function ownGatewayProcesses(pl: PortListenersData): PortListenersData["gatewayProcesses"] {
  return pl.gatewayProcesses.filter((p) => p.servesThisConfig !== false && !hasExited(p.state));
}

/** Kernel state Z (zombie) or X (dead): the process has exited. */
export function hasExited(state: string | undefined): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/** Kernel state T/t: stopped by SIGSTOP, job control or a tracer. */
export function isStopped(state: string | undefined): boolean {
  return state === "T" || state === "t";
}

export function isGatewayCommand(command: string | null | undefined): boolean {
  // The kernel cuts process titles to 15 chars: `openclaw-gatewa` (GATEWAY-FACTS §2).
  return !!command && command.startsWith("openclaw-gatewa");
}
