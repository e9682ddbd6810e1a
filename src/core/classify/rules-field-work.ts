import type { Evidence } from "./evidence.ts";
import { healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { ownGatewayProcesses } from "./gateway-processes.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * Issue 46, what keeps a serving gateway from doing its work while its health checks stay
 * green: a stop stuck draining, the spawn broker gone, wedged session lanes, plugins built for
 * another core, MCP servers that did not start, sessions looping on context overflow. Each from
 * the gateway's own log lines (OpenClaw 2026.9.6's strings: gateway-log-patterns-runtime.ts).
 */

const readyzGreen = (e: Evidence) => (e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null);
const helloGreen = (e: Evidence) =>
  e["gateway.ws"]?.outcome === "hello-ok" ? "the WebSocket handshake (hello-ok) and the status RPC" : null;
const sinceStart = (e: Evidence, kind: Parameters<typeof newerThan>[1]) => newerThan(e, kind, ["gateway-ready"]);

/**
 * A session counts as stalled when its last progress is this old while it has running or queued
 * work: OpenClaw's own diagnostics warn of a stuck session after 2 min and may abort a stalled
 * run from 6 min (dist/diagnostic-*.mjs: 120 000 ms, 3× that with a 300 000 ms floor).
 */
const STALLED_SESSION_MIN = 10;

/** How long before its `gateway ready` a start loads its plugins (a start takes seconds; 2 min is generous). */
const START_WINDOW_MS = 120_000;

/** A line of the last start itself (logged while it loaded, before its `ready`) or later. */
function duringLastStart(e: Evidence, kind: Parameters<typeof newerThan>[1]): boolean {
  const line = timeOf(logSignature(e, kind)?.lastAt);
  const ready = timeOf(logSignature(e, "gateway-ready")?.lastAt);
  if (line === null) return false;
  return ready === null || line > ready - START_WINDOW_MS;
}

/** `/readyz` answering 503 with `gateway-draining` among its failing checks (server-start-*.mjs). */
function readyzDraining(e: Evidence): string | null {
  const r = e["gateway.http"]?.readyz;
  const failing = (r?.body as { failing?: unknown } | undefined)?.failing;
  if (r?.status !== 503 || !Array.isArray(failing) || !failing.includes("gateway-draining")) return null;
  return `/readyz ${r.status} ${JSON.stringify({ failing })}`;
}

export const FIELD_WORK_RULES: readonly Rule[] = [
  {
    id: "gateway-draining",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "The gateway is draining for a stop or restart: it holds its port and admits no new work",
    explanation:
      "A stop or restart began and the gateway is waiting for active work (a cron run, an agent turn) to finish " +
      "before it goes down. While it drains it refuses new WebSocket connections (503 'websocket admission closed') " +
      "and new work, yet the process lives and holds its port, so a supervisor still counts it alive (systemd shows " +
      "it deactivating). " +
      "OpenClaw waits up to its drain budget (the log names it, e.g. 'with timeout 315000ms'), warns 'still draining' " +
      "every 30 s, and at its shutdown deadline abandons the work. This is not a gateway that stopped answering: it " +
      "was told to stop and is waiting on the work it names.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep -E 'draining active work|shutdown deadline'",
      'curl -s http://127.0.0.1:<port>/readyz   # 503 {"failing":["gateway-draining"]} while it drains',
      "systemctl --user status openclaw-gateway   # 'deactivating (stop-sigterm)' while a stop drains",
      "openclaw cron list   # the job whose run it waits on, when the counts name cron-run",
    ],
    falseGreen: (e) =>
      e["port.listeners"] && ownGatewayProcesses(e["port.listeners"]).length > 0
        ? "the process check (the gateway process runs and holds its port)"
        : null,
    match(e) {
      const readyz = readyzDraining(e);
      const stalled = sinceStart(e, "drain-still-pending") || sinceStart(e, "shutdown-deadline");
      if (!readyz && !stalled) return null;
      const pl = e["port.listeners"];
      const own = pl ? ownGatewayProcesses(pl) : [];
      // A drain the log shows, of a gateway that has since exited, is a finished stop.
      if (!readyz && own.length === 0) return null;
      const sv = e["service.state"]?.state;
      return [
        ...(readyz ? [readyz] : []),
        ...(sinceStart(e, "drain-started") ? quoteSignature(e, "drain-started", 1) : []),
        ...(sinceStart(e, "drain-still-pending") ? quoteSignature(e, "drain-still-pending", 2) : []),
        ...(sinceStart(e, "shutdown-deadline") ? quoteSignature(e, "shutdown-deadline", 1) : []),
        ...own.map((p) => `gateway pid ${p.pid ?? "?"} still runs`),
        ...(sv ? [`${e["service.state"]?.unit ?? "service"}: ${sv.active}${sv.sub ? ` (${sv.sub})` : ""}`] : []),
        ...(e["gateway.ws"]?.outcome === "upgrade-refused"
          ? [`WebSocket upgrade refused (HTTP ${e["gateway.ws"]?.upgradeStatus ?? "?"})`]
          : []),
      ];
    },
  },
  {
    id: "spawn-broker-lost",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "Commands the agents run fail: the gateway's spawn broker is gone",
    explanation:
      "The gateway runs the commands it spawns through a spawn broker process. Its log says commands were refused " +
      "because the broker is gone ('Spawn broker is unavailable', often after 'Spawn broker exited; command outcome is " +
      "unavailable'), with no 'spawn broker restarted' after it: OpenClaw refuses every spawn while its broker is " +
      "unavailable, and chat, /healthz and /readyz stay green. " +
      "A broker that exits repeatedly may point at the host (open files, memory); its restarts are counted below.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -iE 'spawn broker'",
      "ls /proc/<gateway pid>/fd | wc -l; grep 'Max open files' /proc/<gateway pid>/limits   # EMFILE near an exit",
      "openclaw gateway restart   # starts a new broker; commands in flight are lost",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e)),
    match(e) {
      // Refused after the last start and the last broker restart: the broker is gone now. An exit
      // alone may have been followed by a restart logged in the same millisecond.
      if (!newerThan(e, "spawn-broker-unavailable", ["gateway-ready", "spawn-broker-restarted"])) return null;
      const restarts = logSignature(e, "spawn-broker-restarted");
      return [
        ...(sinceStart(e, "spawn-broker-lost") ? quoteSignature(e, "spawn-broker-lost", 1) : []),
        ...quoteSignature(e, "spawn-broker-unavailable", 2),
        ...(restarts
          ? [`spawn broker restarted ${restarts.count} time(s) in the log read, first ${restarts.firstAt ?? "undated"}`]
          : []),
        ...lastReadyLine(e),
      ];
    },
  },
  {
    id: "session-lane-wedged",
    layer: "process",
    severity: "warn",
    confidence: "medium",
    title: "Conversations wait behind a wedged session lane: work stays queued while nothing runs",
    explanation:
      "The gateway's own diagnostics report a session stuck ('stuck session: … reason=queued_work_without_active_run': " +
      "messages queued while no run is active), or work that waited ten minutes or more for its lane before it ran " +
      "('lane wait exceeded: … waitedMs=…'). The users of that session, or of every session on the lane, get no answers " +
      "meanwhile, and the gateway's health checks stay green. OpenClaw repeats a stuck-session warning only as its " +
      "age grows (up to doubling between warnings), so one line may stand for a long wedge. It tries its own " +
      "recovery ('recovery=checking'); a session still stuck after that may need /new in that conversation or a " +
      "gateway restart.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -E 'stuck session|lane wait exceeded'",
      "openclaw sessions list --json   # the session the line names, and when it was last updated",
      "openclaw sessions tail --session-key <sessionKey> --tail 20   # its last transcript lines",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e), helloGreen(e)),
    match(e) {
      const stuck = sinceStart(e, "session-stuck");
      const lane = sinceStart(e, "lane-wait-long");
      if (!stuck && !lane) return null;
      return [
        ...(stuck ? quoteSignature(e, "session-stuck", 2) : []),
        ...(lane ? quoteSignature(e, "lane-wait-long", 2) : []),
        ...lastReadyLine(e),
      ];
    },
  },
  {
    id: "session-run-stalled",
    layer: "process",
    severity: "warn",
    confidence: "medium",
    title: "A session has work running or queued that has not moved for 10 minutes or more",
    explanation:
      "The gateway's own session list (sessions.list, the sessions with running or queued work) shows a session " +
      "whose last recorded progress is 10 minutes old or more while it still counts as running or queued. That " +
      "conversation may get no answer until the run ends or is stopped, and work queued behind it on its lane may " +
      "wait too; the gateway's health checks stay green meanwhile. A long tool call can also hold a session this " +
      "long: the session's transcript tail says which. OpenClaw's own stuck-session diagnostics (logged as " +
      "'stuck session: …') try a recovery first.",
    nextCommands: [
      "openclaw sessions list --json   # the session named here: its status, updatedAt and lastActivityAt",
      "openclaw sessions tail --session-key <session> --tail 20   # what it last did",
      "openclaw logs --limit 300 --plain | grep -E 'stuck session|lane wait exceeded'",
      "/stop in that conversation, or /new to start it over   # ends the stalled run; the queued messages run after it",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e), helloGreen(e)),
    match(e) {
      const rpc = e["gateway.ws"]?.sessionsRpc;
      if (!rpc?.ok) return null;
      const stalled = (rpc.sessions ?? []).filter((s) => (s.idleMin ?? 0) >= STALLED_SESSION_MIN);
      if (stalled.length === 0) return null;
      return [
        ...stalled
          .slice(0, 3)
          .map(
            (s) =>
              `sessions.list: ${s.session} status=${s.status}${s.hasActiveRun === undefined ? "" : ` hasActiveRun=${s.hasActiveRun}`}, ` +
              `no progress for ${s.idleMin} min or more${s.runningMin === undefined ? "" : ` (started ${s.runningMin} min ago)`}`,
          ),
        ...(stalled.length > 3 ? [`and ${stalled.length - 3} more stalled session(s)`] : []),
        `${rpc.active ?? stalled.length} session(s) with running or queued work in all`,
      ];
    },
  },
  {
    id: "cron-runs-skipped",
    layer: "scheduler",
    severity: "warn",
    confidence: "high",
    title: "Scheduled runs were skipped: jobs did not run at their times",
    explanation:
      "The scheduler is on, yet scheduled runs did not happen. Either the gateway's job list shows enabled jobs " +
      "whose last run was skipped, with the reason it stored (a job with no owner agent, a command job with no " +
      "runner, a heartbeat skipped), or the gateway logged at its start that it skipped the recurring runs missed " +
      "while it was down ('cron: skipped missed recurring jobs after restart', which cron.skipMissedJobs asks for). " +
      "What those runs would have done did not happen; the next run comes at the job's next time.",
    nextCommands: [
      "openclaw cron list   # each job's last run, its status and next run",
      "openclaw cron runs --id <job id> --status skipped --limit 10   # the skipped runs and their reasons",
      "openclaw config get cron.skipMissedJobs   # true: runs missed while down are skipped, not caught up",
      "openclaw cron run <job id>   # runs a skipped job now, when it should not wait for its next time",
    ],
    falseGreen: (e) =>
      e["gateway.ws"]?.cronRpc?.enabled === true
        ? joinGreens("cron.status (scheduler enabled)", readyzGreen(e))
        : readyzGreen(e),
    match(e) {
      const skipped = e["gateway.ws"]?.cronRpc?.skipped ?? [];
      const missed = sinceStart(e, "cron-missed-skipped");
      if (skipped.length === 0 && !missed) return null;
      const when = (ms: number | undefined) => (ms === undefined ? "" : ` at ${new Date(ms).toISOString()}`);
      return [
        ...skipped
          .slice(0, 3)
          .map(
            (j) =>
              `cron.list: job "${j.name}" (${j.id}) last run skipped${when(j.lastRunAtMs)}${j.reason ? `: ${j.reason}` : ""}`,
          ),
        ...(skipped.length > 3 ? [`and ${skipped.length - 3} more job(s) whose last run was skipped`] : []),
        ...(missed ? quoteSignature(e, "cron-missed-skipped", 1) : []),
        ...(missed ? lastReadyLine(e) : []),
      ];
    },
  },
  {
    id: "plugins-core-out-of-lockstep",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "Plugins and the OpenClaw core are out of lockstep: a plugin imports what this core does not export",
    explanation:
      "A plugin failed to load because it imports from the OpenClaw SDK something the installed core does not provide " +
      "('does not provide an export named …'; OpenClaw's hint: 'Plugin <id> cannot import openclaw/plugin-sdk/… (built " +
      "with OpenClaw <v>; running core <v>)'). Core and official plugins are released together; after an update of " +
      "one without the other, the plugin's channels, tools or providers are missing. A plugin built for an older core " +
      "may also load and fail later, which this line does not show.",
    nextCommands: [
      "openclaw plugins list",
      "openclaw gateway status --deep   # 'Plugin version drift: N active official plugins not on gateway <v>'",
      "openclaw plugins update <plugin id>   # OpenClaw's own advice in the line",
    ],
    // /readyz reports the start complete, with the plugin missing from it.
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e)),
    match(e) {
      // Plugins load while the gateway starts, before its `ready` line.
      if (!duringLastStart(e, "plugin-export-missing")) return null;
      return [...quoteSignature(e, "plugin-export-missing", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "mcp-servers-failing",
    layer: "config",
    severity: "warn",
    confidence: "high",
    title: "MCP servers did not start: their tools are missing from agent turns",
    explanation:
      "The gateway could not start or reach MCP servers the config names ('failed to start server', 'skipped server', " +
      "'MCP server connection timed out after 30000ms'). Agent turns run without those servers' tools and nothing in " +
      "the health checks says so. A stdio server whose command is not on the gateway's PATH (a service has a shorter " +
      "PATH than a shell) or a remote server that does not answer are common causes.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -E 'bundle-mcp|bundle-lsp|MCP server'",
      "openclaw mcp status",
      "openclaw mcp probe <server>",
      "systemctl --user show openclaw-gateway -p Environment   # the PATH the gateway runs with",
    ],
    falseGreen: (e) => joinGreens(healthzGreen(e), readyzGreen(e), helloGreen(e)),
    match(e) {
      if (!sinceStart(e, "mcp-server-failed")) return null;
      return [...quoteSignature(e, "mcp-server-failed", 3), ...lastReadyLine(e)];
    },
  },
  {
    id: "context-overflow-loop",
    layer: "model_routing",
    severity: "warn",
    confidence: "medium",
    title: "A session is blocked on context overflow: compaction does not bring it under the model's limit",
    explanation:
      "The gateway logged a session whose prompt no longer fits its model: recovery gave up ('livenessState=blocked " +
      "suggestedAction=reset_or_new'), or a session reached OpenClaw's last compaction attempt ('context overflow " +
      "detected (attempt 3/3)'). That conversation gets errors or no answer until it is reset or moved to a new session; other sessions " +
      "are not affected by this line.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -E 'context-overflow|livenessState=blocked'",
      "openclaw sessions tail --session-key <sessionKey> --tail 20   # the session the line names",
      "openclaw sessions compact <sessionKey>   # or /new in that conversation (OpenClaw's suggestedAction)",
    ],
    match(e) {
      const blocked = sinceStart(e, "context-blocked");
      // One overflow that compaction fixed is routine; a session that reached OpenClaw's last attempt is not.
      const lastAttempt = logSignature(e, "context-overflow")?.reasons?.["attempt 3/3"] ?? 0;
      const looping = sinceStart(e, "context-overflow") && lastAttempt > 0;
      if (!blocked && !looping) return null;
      return [
        ...(blocked ? quoteSignature(e, "context-blocked", 2) : []),
        ...(sinceStart(e, "context-overflow") ? quoteSignature(e, "context-overflow", 2) : []),
        ...lastReadyLine(e),
      ];
    },
  },
];
