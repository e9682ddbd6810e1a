import { healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { doctorErrorLines } from "./rules-cli.ts";
import { quoteWs } from "./ws-evidence.ts";

/**
 * The config file and the agent workspace it names: a mode that is not local, a file that does
 * not parse (with or without a gateway still running its last good config), and a workspace
 * that is missing, not a directory or cannot be created. In RULES they sit inside the core
 * rules, after the handshake and scope findings and before latent token drift.
 */
export const CONFIG_RULES: readonly Rule[] = [
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
    // mode=remote written while the gateway runs: it restarts in-process and keeps serving here,
    // and the CLI's own checks connect to it (GATEWAY-FACTS §3: both exit 0 in this state).
    falseGreen: (e) =>
      e.config?.mode === "remote" &&
      (e["gateway.ws"]?.outcome === "hello-ok" || e["gateway.http"]?.healthz.status === 200)
        ? "`openclaw gateway status` and `openclaw gateway probe` report the gateway reachable: they reach the gateway still listening on this host, not the remote one the config now names"
        : null,
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
];
