import type { StepName, StepResult } from "../../contract/catalog.ts";
import { LAYERS, type Layer, type LayerStatus, statusRank, worseStatus } from "../vocabulary/layers.ts";
import { collectEvidence, type Evidence, type FleetEvidence, NO_RESULT } from "./evidence.ts";
import type { Finding, Rule } from "./finding.ts";
import {
  hasExited,
  isGatewayCommand,
  isStopped,
  notServingGatewayProcesses,
  ownGatewayProcesses,
} from "./gateway-processes.ts";
import { logNotRead } from "./log-evidence.ts";
import { RULE_CHECKS } from "./rule-checks.ts";
import { RULES } from "./rules.ts";
import { downChannelAccounts } from "./rules-service.ts";

export interface LayerCell {
  status: LayerStatus;
  /** Why: the probe line that decided it, or why it could not be decided. */
  reason: string;
}

export type HealthMatrix = Record<Layer, LayerCell>;

export interface Classification {
  matrix: HealthMatrix;
  /** Ranked: most likely root cause first. */
  findings: Finding[];
}

const SEVERITY_RANK = { fail: 2, warn: 1 } as const;
const CONFIDENCE_RANK = { high: 3, medium: 2, low: 1 } as const;

export function classifyResults(
  results: readonly StepResult[],
  expected: readonly StepName[],
  rules: readonly Rule[] = RULES,
  context: { fleet?: FleetEvidence } = {},
): Classification {
  return classifyEvidence({ ...collectEvidence(results, expected), ...context }, rules);
}

export function classifyEvidence(raw: Evidence, rules: readonly Rule[] = RULES): Classification {
  const e = withoutGuessedTarget(raw);
  const matrix = baseMatrix(e);
  const findings: Finding[] = [];
  rules.forEach((rule) => {
    const lines = safeMatch(rule, e);
    if (!lines) return;
    findings.push({
      id: rule.id,
      layer: rule.layer,
      severity: rule.severity,
      confidence: rule.confidence,
      title: rule.title,
      explanation: rule.explanation,
      evidence: lines,
      nextCommands: commandsFor(rule, e),
      falseGreen: rule.falseGreen?.(e) ?? null,
      wouldConfirm: RULE_CHECKS[rule.id]?.confirm ?? null,
      wouldRuleOut: RULE_CHECKS[rule.id]?.ruleOut ?? null,
      explainedBy: null,
    });
  });
  const order = new Map(rules.map((r, i) => [r.id, i]));
  const background = new Set(rules.filter((r) => r.background).map((r) => r.id));
  const standing = (f: Finding) => (background.has(f.id) ? 1 : 0);
  findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      standing(a) - standing(b) ||
      CONFIDENCE_RANK[b.confidence] - CONFIDENCE_RANK[a.confidence] ||
      (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
  );
  markExplained(findings);
  nameTrustedGreens(findings, e);
  for (const f of findings) {
    const cell = matrix[f.layer];
    if (statusRank(f.severity) > statusRank(cell.status)) matrix[f.layer] = { status: f.severity, reason: f.title };
  }
  return { matrix, findings };
}

/**
 * The checks operators trust, when they are green (GATEWAY-FACTS §3, §7): each one a layer can
 * fail behind. `gateway status` reports `Connectivity probe: ok` when its zero-scope connect works.
 */
export function trustedGreens(e: Evidence): { key: string; text: string; sees: string }[] {
  const greens: { key: string; text: string; sees: string }[] = [];
  const http = e["gateway.http"];
  if (http?.healthz.status === 200)
    greens.push({ key: "/healthz", text: "/healthz 200", sees: "only that something answers HTTP on the port" });
  if (http?.readyz.status === 200)
    greens.push({ key: "/readyz", text: "/readyz 200", sees: "only the running process's start-up readiness" });
  if (e["gateway.status"]?.json?.rpcOk === true)
    greens.push({
      key: "Connectivity probe",
      text: "`openclaw gateway status` Connectivity probe: ok",
      sees: "only a zero-scope WebSocket connect",
    });
  return greens;
}

/**
 * The false green, every time: a failing finding names each trusted check that is green beside
 * it and what that check missed, whether or not its rule knew to say so.
 */
function nameTrustedGreens(findings: Finding[], e: Evidence): void {
  const greens = trustedGreens(e);
  if (greens.length === 0) return;
  for (const f of findings) {
    if (f.severity !== "fail") continue;
    const unnamed = greens.filter((g) => !f.falseGreen?.includes(g.key));
    if (unnamed.length === 0) continue;
    const layer = f.layer.replace("_", " ");
    const line = unnamed.map((g) => `${g.text} (it checks ${g.sees}, not the ${layer} layer)`).join("; ");
    f.falseGreen = f.falseGreen ? `${f.falseGreen}; ${line}` : line;
  }
}

/**
 * Several rules can read the same lines (a 1008 close, one log signature). The first-ranked
 * finding that quotes every evidence line of a later one is its root cause: the later one says so.
 */
function markExplained(findings: Finding[]): void {
  findings.forEach((f, i) => {
    const cause = findings
      .slice(0, i)
      .find((earlier) => earlier.explainedBy === null && f.evidence.every((l) => earlier.evidence.includes(l)));
    if (cause) f.explainedBy = cause.id;
  });
}

/** A rule's evidence-dependent commands, or its fixed ones (also when those throw). */
function commandsFor(rule: Rule, e: Evidence): string[] {
  try {
    return rule.commands?.(e) ?? rule.nextCommands;
  } catch {
    return rule.nextCommands;
  }
}

/** A rule that throws on odd input must not take the whole triage down with it. */
function safeMatch(rule: Rule, e: Evidence): string[] | null {
  try {
    const lines = rule.match(e);
    return lines && lines.length > 0 ? lines : null;
  } catch {
    return null;
  }
}

function cell(status: LayerStatus, reason: string): LayerCell {
  return { status, reason };
}

/**
 * What each probe says about each layer on its own, before any finding is applied: one step per
 * layer group, run in this order (it matters where two steps set the same cell: config, service).
 */
function baseMatrix(e: Evidence): HealthMatrix {
  const m = Object.fromEntries(
    LAYERS.map((l) => [l, cell("unknown", "not checked by this probe set")]),
  ) as HealthMatrix;
  const set: SetCell = (layer, status, reason) => {
    const cur = m[layer];
    if (cur.reason === "not checked by this probe set" || worseStatus(cur.status, status) !== cur.status) {
      m[layer] = cell(status, reason);
    }
  };
  processCells(e, set);
  portCells(e, set);
  transportCells(e, set);
  authScopeCells(e, set);
  configWorkspaceCells(e, set);
  channelsSchedulerCells(e, set);
  modelRoutingCells(e, set);
  lintCells(e, set);
  logCells(e, set);
  serviceCells(e, set, m);
  return m;
}

/** Sets a layer's cell unless it already holds a worse status. */
type SetCell = (layer: Layer, status: LayerStatus, reason: string) => void;

function processCells(e: Evidence, set: SetCell): void {
  const pl = e["port.listeners"];
  if (pl) {
    const own = ownGatewayProcesses(pl);
    const exited = pl.gatewayProcesses.filter((p) => hasExited(p.state));
    const idle = notServingGatewayProcesses(pl);
    const others = pl.gatewayProcesses.length - own.length - exited.length - idle.length;
    const note = [
      ...(others > 0 ? [`+${others} gateway${others > 1 ? "s" : ""} of other configs on this host`] : []),
      ...exited.map((p) => `pid ${p.pid ?? "?"} exited (zombie, state ${p.state})`),
      ...idle.map(
        (p) =>
          `pid ${p.pid ?? "?"} holds no gateway lock and no port: an \`openclaw gateway …\` command or a gateway still loading`,
      ),
    ];
    const context = note.length > 0 ? ` (${note.join("; ")})` : "";
    const stopped = own.filter((p) => isStopped(p.state));
    if (own.length === 0) set("process", "fail", `no running openclaw-gateway process for this config${context}`);
    else if (stopped.length > 0)
      set("process", "fail", `openclaw-gateway pid ${stopped[0]?.pid ?? "?"} is stopped (state ${stopped[0]?.state})`);
    else if (own.length === 1) set("process", "ok", `openclaw-gateway pid ${own[0]?.pid ?? "?"}${context}`);
    else set("process", "fail", `${own.length} openclaw-gateway processes for this config${context}`);
  } else if (e.missing["port.listeners"]) set("process", "unknown", e.missing["port.listeners"]);
}

function portCells(e: Evidence, set: SetCell): void {
  const pl = e["port.listeners"];
  const cfg = e.config;
  // port: 18789 for a config that cannot be read is a guess; what holds it is not ours to judge
  if (pl && portGuessed(e)) {
    set("port", "unknown", `${cfg?.path ?? "config"} does not parse and no gateway of this config holds a port`);
  } else if (pl) {
    const gw = pl.listeners.filter((l) => isGatewayCommand(l.command));
    if (pl.listeners.length === 0) set("port", "fail", `nothing listens on ${pl.port}`);
    else if (gw.length === pl.listeners.length)
      set("port", "ok", `gateway listens on ${gw.map((l) => l.address).join(", ")}`);
    else set("port", "fail", `port ${pl.port} held by ${pl.listeners.map((l) => l.command ?? "?").join(", ")}`);
  }
}

function transportCells(e: Evidence, set: SetCell): void {
  const ws = e["gateway.ws"];
  const http = e["gateway.http"];
  if (portGuessed(e)) set("transport", "unknown", "port unknown: the config does not parse and no gateway of it runs");
  else if (ws) {
    if (ws.outcome === "hello-ok")
      set("transport", "ok", `protocol v${ws.server?.protocol ?? "?"} handshake in ${ws.handshakeMs ?? "?"} ms`);
    else if (ws.outcome === "rejected") {
      if (ws.error?.detailCode === "PROTOCOL_MISMATCH") set("transport", "fail", "protocol mismatch");
      else set("transport", "ok", "gateway answered the connect (then refused it)");
    } else if (ws.outcome === "upgrade-refused" && ws.upgradeStatus === 503 && draining(e))
      // A stop or restart in progress closes admission (503): the gateway answers, by refusing new work.
      set("transport", "fail", "WebSocket admission closed (503): the gateway is draining");
    else if (ws.error?.message.includes("fingerprint mismatch"))
      // A TLS gateway whose served certificate is not the pinned one (rules-field-tls.ts says which).
      set("transport", "fail", `${ws.url}: TLS pin refused (${ws.error.message})`);
    else set("transport", "fail", `WebSocket ${ws.outcome}${ws.close ? ` (close ${ws.close.code})` : ""}`);
  } else if (e.missing["gateway.ws"]) set("transport", "unknown", e.missing["gateway.ws"]);
  if (http && !ws && !portGuessed(e)) {
    if (http.healthz.status === 200) set("transport", "ok", "/healthz 200");
  }
}

/** `/readyz` says `gateway-draining` (server-start-*.mjs of OpenClaw 2026.9.6). */
function draining(e: Evidence): boolean {
  const failing = (e["gateway.http"]?.readyz.body as { failing?: unknown } | undefined)?.failing;
  return Array.isArray(failing) && failing.includes("gateway-draining");
}

function authScopeCells(e: Evidence, set: SetCell): void {
  const ws = e["gateway.ws"];
  const cfg = e.config;
  const unreachable = ws?.outcome === "refused" || ws?.outcome === "upgrade-refused";
  if (ws?.outcome === "hello-ok") {
    set("auth", "ok", `accepted (${ws.auth?.method ?? "token"})`);
    const scopes = ws.auth?.scopes ?? [];
    if (ws.statusRpc?.ok) set("scope", "ok", `scopes: ${scopes.join(", ") || "(none)"}`);
    else if (scopes.length > 0) set("scope", "ok", `scopes: ${scopes.join(", ")}`);
  } else if (ws?.outcome === "rejected") {
    const code = ws.error?.detailCode ?? ws.error?.code ?? "rejected";
    // Sent without a token because the config holding it does not parse: auth itself is not judged.
    if (cfg?.parseError && ws.tokenSource === null)
      set("auth", "unknown", `no token to send: the config does not parse (${code})`);
    else if (code.startsWith("AUTH_") || code === "DEVICE_IDENTITY_REQUIRED" || code === "PAIRING_REQUIRED")
      set("auth", "fail", code);
    set("scope", "unknown", "not connected");
  } else if (ws && unreachable) {
    set("auth", "unknown", "gateway unreachable");
    set("scope", "unknown", "gateway unreachable");
  }
}

function configWorkspaceCells(e: Evidence, set: SetCell): void {
  const cfg = e.config;
  if (cfg) {
    if (!cfg.exists) set("config", "fail", `${cfg.path} not found`);
    else if (cfg.parseError) set("config", "fail", "config does not parse");
    else
      set(
        "config",
        "ok",
        `mode=${cfg.mode ?? "?"} bind=${cfg.bind ?? "default"} port=${cfg.port ?? "default"} auth=${cfg.authMode ?? "?"}`,
      );
    if (cfg.workspace) {
      const w = cfg.workspace;
      if (w.exists && w.isDirectory) set("workspace", "ok", w.path);
      else if (w.blockedBy)
        set("workspace", "fail", `${w.path} cannot be created (${w.blockedBy.code} at ${w.blockedBy.path})`);
      else set("workspace", "warn", `${w.path} ${w.exists ? "is not a directory" : "missing"}`);
    } else if (cfg.exists && !cfg.parseError) set("workspace", "unknown", "no workspace configured");
    else set("workspace", "unknown", "config not readable");
  } else if (e.missing.config) set("config", "unknown", e.missing.config);
}

function channelsSchedulerCells(e: Evidence, set: SetCell): void {
  const ws = e["gateway.ws"];
  const unreachable = ws?.outcome === "refused" || ws?.outcome === "upgrade-refused";
  // channels + scheduler: from the health RPC when connected
  const health = ws?.healthRpc;
  if (health?.ok) {
    const channels = Object.entries(health.channels ?? {});
    const accounts = ws?.channelsRpc?.ok ? (ws.channelsRpc.accounts ?? []) : null;
    const down = downChannelAccounts(e);
    if (down.length > 0)
      set("channels", "fail", `${down.map((a) => `${a.channel}/${a.accountId} ${a.healthState}`).join(", ")}`);
    else if (accounts && accounts.length > 0) set("channels", "ok", `${accounts.length} account(s) healthy`);
    if (channels.length === 0) set("channels", "ok", "no chat channels configured");
    else {
      const bad = channels.filter(([, c]) => c.ok === false).map(([name]) => name);
      if (bad.length > 0) set("channels", "warn", `not ok: ${bad.join(", ")}`);
      else set("channels", "ok", `${channels.length} channel(s) ok`);
    }
    const cron = ws?.cronRpc;
    const scheduler = [
      ...(health.heartbeatSeconds ? [`heartbeat every ${Math.round(health.heartbeatSeconds / 60)} min`] : []),
      ...(cron?.ok && cron.enabled !== undefined
        ? [`cron ${cron.enabled ? "on" : "off"}, ${cron.jobs ?? 0} job(s)`]
        : []),
    ];
    if (scheduler.length > 0) set("scheduler", "ok", scheduler.join("; "));
  } else if (unreachable) {
    set("channels", "unknown", "gateway unreachable");
    set("scheduler", "unknown", "gateway unreachable");
  } else if (ws && ws.outcome !== "hello-ok") {
    set("channels", "unknown", "no session: the gateway did not accept the probe's connect");
    set("scheduler", "unknown", "no session: the gateway did not accept the probe's connect");
  }
}

function modelRoutingCells(e: Evidence, set: SetCell): void {
  // model routing: `models status --json` when it ran (older control planes' plans), else the
  // config's own model refs beside the gateway's `models.authStatus`
  const models = e["models.status"];
  if (models?.json) {
    const def = models.json.resolvedDefault ?? models.json.defaultModel;
    set("model_routing", "ok", def ? `default model ${def}` : "models status answered");
  } else if (models) {
    const why = models.timedOut
      ? "`openclaw models status --json` timed out"
      : `models status unreadable: ${models.parseError ?? `exit ${models.exitCode ?? "?"}`}`;
    set("model_routing", "unknown", why);
  } else if (e.missing["models.status"] && !notYet(e.missing["models.status"])) {
    set("model_routing", "unknown", e.missing["models.status"]);
  } else if (!models) {
    const auth = e["gateway.ws"]?.modelsRpc;
    const refs = e.config?.modelRefs;
    if (!refs) return;
    if (!auth?.ok) {
      const why = auth?.error
        ? `models.authStatus failed: ${auth.error.message}`
        : "no gateway session: model credentials not checked";
      set("model_routing", "unknown", why);
      return;
    }
    const primary = refs.find((r) => /^agents\.defaults\.model(\.primary)?$/.test(r.source));
    set(
      "model_routing",
      "ok",
      primary
        ? `default model ${primary.ref} (config)`
        : refs.length > 0
          ? `${refs.length} model ref(s) in the config`
          : "the config names no model: built-in default",
    );
  }
}

function lintCells(e: Evidence, set: SetCell): void {
  // config, as doctor --lint sees it: unreadable output leaves the layer unknown, never ok
  const lint = e["doctor.lint"];
  const lintProblem = lint
    ? lint.timedOut
      ? "`openclaw doctor --lint --json` timed out"
      : lint.parseError && !lint.findings
        ? `doctor --lint output unreadable: ${lint.parseError}`
        : null
    : e.missing["doctor.lint"] && !notYet(e.missing["doctor.lint"])
      ? `doctor --lint: ${e.missing["doctor.lint"]}`
      : null;
  if (lintProblem) set("config", "unknown", lintProblem);
}

/**
 * The gateway's log could not be read (issue 46: `logging.file` a directory gave EISDIR and every
 * layer showed green). What only the log shows is config's first of all (a failed hot reload
 * leaves the gateway on an older config while /readyz stays 200, GATEWAY-FACTS §7): as with an
 * unreadable doctor --lint, the layer is unknown, never ok, and says why.
 */
function logCells(e: Evidence, set: SetCell): void {
  const notRead = logNotRead(e);
  if (notRead) set("config", "unknown", `gateway log not read (${notRead.why}): its log-only checks did not run`);
}

function serviceCells(e: Evidence, set: SetCell, m: HealthMatrix): void {
  const gs = e["gateway.status"];
  if (gs?.json?.runtimeStatus) {
    const rs = gs.json.runtimeStatus;
    if (rs === "running") set("service", "ok", `${gs.json.serviceLabel ?? "service"} running`);
    else if (rs === "stopped") set("service", "fail", `${gs.json.serviceLabel ?? "service"} stopped`);
    else set("service", "unknown", gs.json.serviceLabel ?? `runtime ${rs}`);
  } else if (gs?.timedOut) set("service", "unknown", "`openclaw gateway status --json` timed out");
  else if (e.missing["gateway.status"]) set("service", "unknown", e.missing["gateway.status"]);
  // …and as the supervisor itself sees it (systemctl / docker / launchctl)
  // The supervisor's own word outranks `gateway status` not knowing (it only sees systemd/launchd
  // installs of its own), so it replaces an unknown cell; a failure is never hidden.
  const sv = e["service.state"];
  const known = (status: LayerStatus, reason: string) => {
    if (m.service.status === "unknown") m.service = cell(status, reason);
    else set("service", status, reason);
  };
  if (sv?.state) {
    const st = sv.state;
    const what = `${sv.unit ?? sv.supervisor}: ${st.active}${st.sub ? `/${st.sub}` : ""}${st.restarts ? `, ${st.restarts} restart(s)` : ""}`;
    const up = /^(active|running)$/.test(st.active) && st.sub !== "auto-restart" && st.sub !== "restarting";
    known(up ? "ok" : "fail", what);
  } else if (sv?.error && sv.supervisor !== "unknown") set("service", "unknown", sv.error);
  else if (sv && !sv.state && m.service.status === "unknown" && !gs && !e.missing["gateway.status"]) {
    // Without `gateway status` (issue 17): what service.state found is the service layer's word.
    known(
      "unknown",
      sv.supervisor === "manual"
        ? "no service manager found for it (no systemd unit, launchd job or container)"
        : sv.supervisor === "unknown"
          ? "no supported service manager detected"
          : `${sv.supervisor}: no unit state read`,
    );
  }
}

/**
 * The config does not parse and no gateway of this config holds a port, so the probes went to
 * OpenClaw's default 18789: whatever answers there (another profile's gateway) is not this one.
 */
export function portGuessed(e: Evidence): boolean {
  const cfg = e.config;
  return !!cfg?.parseError && cfg.portSource === "default";
}

/**
 * With the port guessed, what answered there (WebSocket, HTTP, `gateway status`) may be another
 * gateway: it is left out, and each of those steps says why instead.
 */
function withoutGuessedTarget(e: Evidence): Evidence {
  if (!portGuessed(e)) return e;
  const why = `not judged: ${e.config?.path ?? "the config"} does not parse and no gateway of this config holds a port (${e.config?.port ?? 18789} is only OpenClaw's default)`;
  const { "gateway.ws": _ws, "gateway.http": _http, "gateway.status": _gs, ...rest } = e;
  return { ...rest, missing: { ...e.missing, "gateway.ws": why, "gateway.http": why, "gateway.status": why } };
}

/** A slow step that has not reported yet is not a reason to doubt a layer. */
function notYet(reason: string): boolean {
  return reason === NO_RESULT;
}
