import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastAuthReloadLine, lastReadyLine, logSignature, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";
import { doctorErrorLines } from "./rules-cli.ts";

/**
 * Findings from the gateway's file log (the `logs.signatures` step). Signatures and next
 * commands come from GATEWAY-FACTS §4–§7 and the seeds' troubleshooting ladder (004). A log
 * line is history: most rules count only lines after the gateway's last `gateway ready`.
 */

const greenHealth = (e: Evidence): string | null => {
  const greens: string[] = [];
  if (e["gateway.http"]?.healthz.status === 200) greens.push("/healthz 200");
  if (e["gateway.http"]?.readyz.status === 200) greens.push("/readyz 200");
  const reload = e["gateway.ws"]?.healthRpc?.hotReloadStatus;
  if (reload === "active") greens.push('health RPC configReload.hotReloadStatus "active"');
  return greens.length > 0 ? greens.join("; ") : null;
};

/** The gateway is not serving this agent right now (down, refusing, or not answering). */
export const notServing = (e: Evidence): boolean => {
  const ws = e["gateway.ws"];
  return ws !== undefined && ws.outcome !== "hello-ok" && ws.outcome !== "rejected";
};

/** Start refusals: when the newest one is newer than the last `ready`, they are why it is down. */
export const START_FAILURE_RULES: readonly Rule[] = [
  {
    id: "refusing-to-bind",
    layer: "policy",
    severity: "fail",
    confidence: "high",
    title: "Gateway refuses to start: non-loopback bind without auth",
    explanation:
      "The gateway was asked to listen on a non-loopback address (lan, tailnet, custom, or the container default " +
      "bind=auto) without a working auth path, so it refuses to start (exit 78) or refuses the reload. This is a " +
      "deliberate guard, stricter after upgrades; the fix is auth or a loopback bind, not a retry.",
    nextCommands: [
      "openclaw config get gateway.bind",
      "openclaw config get gateway.auth.mode",
      "openclaw config set gateway.auth.token <token>   # or gateway.bind loopback",
      "openclaw gateway restart",
      "openclaw logs --follow",
    ],
    match(e) {
      if (!notServing(e) || !newerThan(e, "refusing-to-bind", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "refusing-to-bind"), ...lastReadyLine(e)];
    },
  },
  {
    id: "start-blocked-mode",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "Gateway start blocked: gateway.mode is not local",
    explanation:
      "The gateway refuses to start because the config does not say gateway.mode=local ('Gateway start blocked: set " +
      "gateway.mode=local'). Either this host was configured as a remote client, or the config was overwritten and " +
      "lost the key (a config that no longer parses reads as 'missing gateway.mode' too).",
    nextCommands: [
      "openclaw config get gateway.mode",
      "openclaw config set gateway.mode local   # or: openclaw onboard --mode local / openclaw setup",
      "openclaw gateway restart",
    ],
    match(e) {
      if (!notServing(e) || !newerThan(e, "start-blocked", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "start-blocked"), ...lastReadyLine(e)];
    },
  },
];

export const LOG_RULES: readonly Rule[] = [
  {
    id: "config-reload-failed",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "Config hot reload failed: the gateway runs on an older config than the file",
    explanation:
      "The config file changed and the running gateway could not apply it ('[reload] config reload failed'), so it " +
      "keeps serving the previous config while health, /readyz and hotReloadStatus stay green. What you edited is " +
      "not in effect, and the next restart will start from the file and is likely to refuse (exit 78). This is the " +
      "first thing to fix: the reload error names what the gateway could not accept (a 'requires migration' wording " +
      "usually means an unusable workspace path, which doctor --lint confirms).",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # the '[reload] config reload failed' line",
      "openclaw doctor --lint --json",
      "fix or revert the config change (openclaw.json.last-good holds the last accepted one)",
      "openclaw gateway restart   # only after doctor --lint shows no error",
    ],
    falseGreen: greenHealth,
    match(e) {
      if (!newerThan(e, "reload-failed", ["reload-applied", "gateway-ready"])) return null;
      // Reverting the file to what the gateway runs logs nothing; a file changed after the
      // failure is not the file that failed (a new failure would be logged after it).
      const failedAt = timeOf(logSignature(e, "reload-failed")?.lastAt);
      const modified = timeOf(e.config?.modifiedAt);
      if (failedAt !== null && modified !== null && modified > failedAt) return null;
      return [...quoteSignature(e, "reload-failed", 2), ...lastReadyLine(e), ...doctorErrorLines(e, 2)];
    },
  },
  {
    id: "config-file-invalid",
    layer: "config",
    severity: "fail",
    confidence: "high",
    title: "The config file on disk does not validate: a restart is likely to be refused",
    explanation:
      "Asked over its own session (config.get), the running gateway reports that the config file does not validate. " +
      "It keeps serving the last config it accepted, so health and /readyz stay green, but a restart (or a crash) " +
      "starts from the file and is likely to be refused (exit 78, as a config that does not parse was on OpenClaw " +
      "2026.9.6). Fix or revert the file before any restart.",
    nextCommands: [
      "openclaw config validate",
      "openclaw doctor --lint --json",
      "cp $OPENCLAW_STATE_DIR/openclaw.json.last-good $OPENCLAW_STATE_DIR/openclaw.json   # the last accepted config",
    ],
    falseGreen: greenHealth,
    match(e) {
      const c = e["gateway.ws"]?.configRpc;
      if (!c?.ok || c.valid !== false) return null;
      return [
        "config.get: valid=false (the file as the gateway would load it now)",
        ...(c.issues ?? []).slice(0, 3).map((i) => `config issue: ${i}`),
      ];
    },
  },
  {
    id: "config-not-applied",
    layer: "config",
    severity: "warn",
    confidence: "medium",
    title: "The running gateway is not on the config file's current content",
    explanation:
      "The gateway's own config.get reports a revision hash for the file on disk that differs from the config it has " +
      "applied. An edit is not in effect: a hot reload failed or is still pending, or the change needs a restart " +
      "(port, bind, auth and plugin changes do). Clients keep getting the old behaviour while health checks stay green, " +
      "and the next restart will bring the file's version in, for better or worse.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep -i reload",
      "openclaw config validate",
      "openclaw gateway restart   # to apply it, once doctor --lint is clean",
    ],
    falseGreen: greenHealth,
    match(e) {
      const c = e["gateway.ws"]?.configRpc;
      if (!c?.ok || c.valid === false || !c.fileHash || !c.appliedHash || c.fileHash === c.appliedHash) return null;
      return [`config.get: file revision ${c.fileHash.slice(-12)} ≠ applied ${c.appliedHash.slice(-12)}`];
    },
  },
  {
    id: "port-conflict-in-logs",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "A second gateway tried to start on the same port (EADDRINUSE)",
    explanation:
      "The log shows a gateway start that failed because another gateway already listens on the port ('another " +
      "gateway instance is already listening' / EADDRINUSE, exit 1 after ~20 s of retries). The running gateway is " +
      "unaffected (its status checks stay green), but something (a second service unit, a manual start, an upgrade " +
      "script) launched a duplicate, and you may be talking to the old one.",
    nextCommands: [
      "openclaw gateway status --deep   # other gateway-like services",
      "ps -o pid,lstart,args -C openclaw-gateway",
      "remove the duplicate unit or start script; keep one gateway per port",
    ],
    match(e) {
      // Since the running gateway started: an older duplicate start is history.
      if (!newerThan(e, "port-in-use", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "port-in-use"), ...lastReadyLine(e)];
    },
  },
  {
    id: "anthropic-429-long-context",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "Anthropic 429: long-context requests need extra usage",
    explanation:
      "Anthropic answers HTTP 429 'Extra usage is required for long context requests': a model with params.context1m " +
      "is used with credentials that have no long-context entitlement. Only long sessions fail, so it looks random.",
    nextCommands: [
      "openclaw logs --follow",
      "openclaw models status",
      "openclaw config get agents.defaults.models   # disable context1m, or add a fallback model",
    ],
    match(e) {
      const lines = quoteSignature(e, "anthropic-429-long-context");
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "ws-unauthorized-in-logs",
    layer: "auth",
    severity: "warn",
    confidence: "medium",
    title: "The gateway rejected client connections under its current auth",
    explanation:
      "The gateway logged '[ws] unauthorized … reason=…' after its last start and after its last live change of " +
      "gateway.auth: some client (a dashboard, a node, a script or another CLI) holds a token or device credential " +
      "the gateway no longer accepts. token_mismatch points to token drift between config, service env and shell " +
      "env; device reasons point to pairing. Rejections before an auth change are not counted: the token clients " +
      "must hold may have changed with it. A change of gateway.auth.rateLimit alone is not such a change.",
    nextCommands: [
      "openclaw logs --follow   # which client= and reason=",
      "openclaw gateway status --json",
      "openclaw devices list",
    ],
    match(e) {
      if (!newerThan(e, "ws-unauthorized", ["gateway-ready", "auth-reloaded"])) return null;
      return [...quoteSignature(e, "ws-unauthorized", 2), ...lastReadyLine(e), ...lastAuthReloadLine(e)];
    },
  },
  {
    id: "workspace-vanished",
    layer: "workspace",
    severity: "fail",
    confidence: "high",
    title: "The agent workspace disappeared after initialisation (WORKSPACE_VANISHED)",
    explanation:
      "An agent turn failed because the workspace that OpenClaw had initialised is gone. OpenClaw refuses to reseed " +
      "it over a recently attested workspace, so every turn fails until the directory is restored or reset on purpose.",
    nextCommands: [
      "openclaw config get agents.defaults.workspace",
      "ls -ld <workspace path>   # restore it (or the bind mount)",
      "openclaw status --all",
    ],
    match(e) {
      if (!newerThan(e, "workspace-vanished", ["gateway-ready"])) return null;
      return quoteSignature(e, "workspace-vanished");
    },
  },
  {
    id: "cron-disabled",
    layer: "scheduler",
    severity: "warn",
    confidence: "high",
    title: "Cron scheduler disabled or failing",
    explanation:
      "The cron scheduler is off while jobs exist (`cron.status` says enabled false, usually `cron.enabled: false` in " +
      "the config), or the gateway logged that it is disabled ('jobs will not run automatically') or that its timer tick " +
      "failed. Scheduled jobs stop without an error where a user would see it; chat may still work.",
    nextCommands: ["openclaw cron status", "openclaw cron list", "openclaw config get cron.enabled"],
    match(e) {
      const cron = e["gateway.ws"]?.cronRpc;
      const rpc =
        cron?.ok && cron.enabled === false && (cron.jobs ?? 0) > 0
          ? [`cron.status: enabled false with ${cron.jobs} job(s) stored`]
          : [];
      // The log is history. A "scheduler disabled" line says nothing of now when `cron.status`
      // answers that the scheduler is on (the config was put back and reloaded, or the gateway
      // started since: the line stays in the log, seen on the real gateway), and a tick that
      // failed before the gateway's last start was the previous process's.
      const onNow = cron?.ok === true && cron.enabled === true;
      const disabled = onNow ? [] : quoteSignature(e, "cron-disabled");
      const ticks = newerThan(e, "cron-tick-failed", ["gateway-ready"]) ? quoteSignature(e, "cron-tick-failed") : [];
      const lines = [...rpc, ...disabled, ...ticks];
      return lines.length > 0 ? lines : null;
    },
    falseGreen: greenHealth,
  },
  {
    id: "cron-job-failing",
    layer: "scheduler",
    severity: "warn",
    confidence: "high",
    title: "Scheduled jobs are failing",
    explanation:
      "Enabled cron jobs ended their last run with an error (from `cron.list` on the running gateway). The scheduler " +
      "itself runs, so nothing else looks wrong; each failure is quoted with the job's own error.",
    nextCommands: [
      "openclaw cron list",
      "openclaw cron runs --id <jobId> --limit 20",
      "openclaw cron run <jobId>   # re-run once after the fix",
    ],
    falseGreen: greenHealth,
    match(e) {
      const failing = e["gateway.ws"]?.cronRpc?.failing ?? [];
      if (failing.length === 0) return null;
      return failing.map(
        (j) =>
          `cron job "${j.name}" (${j.id}): last run error${j.consecutiveErrors ? `, ${j.consecutiveErrors} in a row` : ""}${j.lastError ? `: ${j.lastError}` : ""}`,
      );
    },
  },
  {
    id: "heartbeat-skipped",
    layer: "scheduler",
    severity: "warn",
    confidence: "medium",
    title: "Heartbeats are being skipped",
    explanation:
      "The gateway skipped heartbeat runs; the reason= says why (quiet-hours, requests-in-flight, " +
      "empty-heartbeat-file, no-tasks-due, dm-blocked …). Several reasons are by design; a heartbeat that never " +
      "delivers is only a fault if the reason is unexpected.",
    nextCommands: ["openclaw system heartbeat last", "openclaw cron status", "openclaw logs --follow"],
    match(e) {
      const lines = quoteSignature(e, "heartbeat-skipped");
      return lines.length > 0 ? lines : null;
    },
  },
  {
    // plugins.allow is an allowlist: excluding the bundled browser plugin is a policy decision.
    id: "browser-plugin-excluded",
    layer: "policy",
    severity: "warn",
    confidence: "high",
    title: "Browser plugin not loaded (excluded by plugins.allow)",
    explanation:
      "'unknown command \"browser\"' means the bundled browser plugin never loaded, almost always because " +
      "plugins.allow is set and does not include browser, even with browser.enabled=true. Browser tools are missing; " +
      "this finding says nothing about the gateway's other layers.",
    nextCommands: ["openclaw config get plugins.allow", "openclaw browser status", "openclaw doctor"],
    match(e) {
      const lines = quoteSignature(e, "browser-command-unknown");
      return lines.length > 0 ? lines : null;
    },
  },
  {
    // Chrome is a helper process the gateway starts or attaches to; its failure is a process
    // problem beside the gateway, not a gateway policy, so it warns without failing the layer.
    id: "cdp-unreachable",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "Browser (Chrome CDP) could not be started or reached",
    explanation:
      "The gateway failed to start Chrome's DevTools endpoint, or a configured remote CDP endpoint is not reachable " +
      "from the gateway host. Browser tools fail; this finding says nothing about the gateway's other layers.",
    nextCommands: [
      "openclaw browser status",
      "openclaw browser start --browser-profile openclaw",
      "openclaw browser profiles",
      "openclaw logs --follow",
    ],
    match(e) {
      const lines = [...quoteSignature(e, "chrome-cdp-failed"), ...quoteSignature(e, "remote-cdp-unreachable")];
      return lines.length > 0 ? lines : null;
    },
  },
];
