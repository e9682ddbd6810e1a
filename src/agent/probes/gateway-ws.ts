import { DEFAULT_STEP_DEADLINE_MS, type GatewayWsData } from "../../contract/catalog.ts";
import { pinOf, resolveGatewayTarget } from "./gateway-target.ts";
import { connectGateway, type GatewayConnection, RPC_TIMEOUT_MS, type RpcResult } from "./gateway-ws-client.ts";
import { channelActivity, modelAuthExpiry, noteStatusHeap } from "./gateway-ws-field.ts";
import { SESSIONS_LIST_PARAMS, summarizeSessions } from "./gateway-ws-sessions.ts";
import { budget, type Probe } from "./probe.ts";

/**
 * The transport, auth and scope layers in one connection: challenge → connect (cli/cli,
 * operator.read, the host's token) → hello-ok, then the `health` RPC (no scope), and the
 * `status`, `cron.status`, `cron.list` and the other reads below (operator.read), all at once.
 */
export const probeGatewayWs: Probe<"gateway.ws"> = async (ctx, args, run) => {
  const target = await resolveGatewayTarget(ctx, run.readings);
  const handshake = await connectGateway({
    url: target.wsUrl,
    token: target.token,
    timeoutMs: budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.ws"]),
    signal: run.signal,
    clientVersion: ctx.agentVersion,
    ...pinOf(target),
  });
  const data: GatewayWsData = {
    url: target.wsUrl,
    outcome: handshake.outcome,
    challenged: handshake.challenged,
    tokenSource: target.tokenSource,
  };
  if (handshake.handshakeMs !== undefined) data.handshakeMs = handshake.handshakeMs;
  if (handshake.error) data.error = handshake.error;
  if (handshake.close) data.close = handshake.close;
  if (handshake.upgradeStatus !== undefined) data.upgradeStatus = handshake.upgradeStatus;
  const hello = handshake.hello;
  if (hello) {
    data.server = {
      ...(hello.server?.version ? { version: hello.server.version } : {}),
      ...(hello.protocol !== undefined ? { protocol: hello.protocol } : {}),
      ...(hello.snapshot?.uptimeMs !== undefined ? { uptimeMs: hello.snapshot.uptimeMs } : {}),
      ...(hello.snapshot?.appliedConfigHash ? { appliedConfigHash: hello.snapshot.appliedConfigHash } : {}),
    };
    data.auth = {
      ...(hello.auth?.method ? { method: hello.auth.method } : {}),
      ...(hello.auth?.role ? { role: hello.auth.role } : {}),
      scopes: hello.auth?.scopes ?? [],
    };
  }
  if (handshake.connection) {
    const rpcs = await readRpcs(handshake.connection, budget(run, RPC_TIMEOUT_MS));
    Object.assign(data, rpcs);
  }
  return data;
};

/**
 * The session's reads, asked all at once (bench/gateway-side.ts measures what they cost the
 * gateway).
 */
export function requestReads(connection: GatewayConnection, timeoutMs: number) {
  return Promise.all([
    connection.request("health", {}, timeoutMs),
    connection.request("status", {}, timeoutMs),
    connection.request("cron.status", {}, timeoutMs),
    connection.request("cron.list", { limit: 200 }, timeoutMs),
    connection.request("config.get", {}, timeoutMs),
    // No live probes: those call each chat platform and take seconds; the runtime state is enough.
    connection.request("channels.status", { probe: false }, timeoutMs),
    // The gateway's own view of model credentials, in place of `openclaw models status` (1.2–2.7 s).
    connection.request("models.authStatus", {}, timeoutMs),
    // Sessions with running or queued work, to see one that stopped moving (issue 46).
    connection.request("sessions.list", { ...SESSIONS_LIST_PARAMS }, timeoutMs),
  ]);
}

async function readRpcs(
  connection: GatewayConnection,
  timeoutMs: number,
): Promise<
  Pick<GatewayWsData, "healthRpc" | "statusRpc" | "cronRpc" | "configRpc" | "channelsRpc" | "modelsRpc" | "sessionsRpc">
> {
  try {
    const [health, status, cronStatus, cronList, configGet, channels, modelsAuth, sessions] = await requestReads(
      connection,
      timeoutMs,
    );
    if (status.ok) noteStatusHeap(status.payload);
    return {
      healthRpc: summarizeHealth(health),
      statusRpc: status.ok ? { ok: true } : { ok: false, error: status.error },
      cronRpc: summarizeCron(cronStatus, cronList),
      configRpc: summarizeConfigGet(configGet),
      channelsRpc: summarizeChannels(channels),
      modelsRpc: summarizeModelsAuth(modelsAuth),
      sessionsRpc: summarizeSessions(sessions),
    };
  } finally {
    await connection.close();
  }
}

const MAX_MODEL_PROVIDERS = 30;

/** `models.authStatus` → provider and status only (never profiles, emails or keys). */
export function summarizeModelsAuth(res: RpcResult): NonNullable<GatewayWsData["modelsRpc"]> {
  if (!res.ok) return { ok: false, error: res.error };
  const payload = record(res.payload);
  const unavailable = record(payload.unavailable).code;
  const providers = (Array.isArray(payload.providers) ? payload.providers : [])
    .map(record)
    .filter((p) => typeof p.provider === "string")
    .slice(0, MAX_MODEL_PROVIDERS)
    .map((p) => ({
      provider: String(p.provider).slice(0, 80),
      status: typeof p.status === "string" ? p.status.slice(0, 40) : "unknown",
      ...modelAuthExpiry(p),
    }));
  return {
    ok: true,
    providers,
    ...(typeof unavailable === "string" ? { unavailable: unavailable.slice(0, 80) } : {}),
    ...(typeof payload.ts === "number" ? { ts: payload.ts } : {}),
  };
}

const MAX_CHANNEL_ACCOUNTS = 20;

/** `channels.status` → one line per account: `channelAccounts: { <channel>: [snapshot, …] }`. */
export function summarizeChannels(res: RpcResult): NonNullable<GatewayWsData["channelsRpc"]> {
  if (!res.ok) return { ok: false, error: res.error };
  const byChannel = record(record(res.payload).channelAccounts);
  const ts = record(res.payload).ts;
  const accounts: NonNullable<NonNullable<GatewayWsData["channelsRpc"]>["accounts"]> = [];
  for (const [channel, list] of Object.entries(byChannel)) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const a = record(raw);
      const bool = (k: string) => (typeof a[k] === "boolean" ? { [k]: a[k] as boolean } : {});
      accounts.push({
        channel: channel.slice(0, 60),
        accountId: String(a.accountId ?? "default").slice(0, 80),
        ...bool("enabled"),
        ...bool("configured"),
        ...bool("running"),
        ...bool("connected"),
        ...(typeof a.healthState === "string" ? { healthState: a.healthState.slice(0, 40) } : {}),
        ...(typeof a.lastError === "string" && a.lastError ? { lastError: a.lastError.slice(0, 300) } : {}),
        ...channelActivity(a, typeof ts === "number" ? ts : undefined),
      });
    }
  }
  return { ok: true, accounts: accounts.slice(0, MAX_CHANNEL_ACCOUNTS) };
}

const MAX_CONFIG_ISSUES = 5;

/**
 * `config.get` → only its verdict: `configRevisionHash` (the file as the gateway would load it
 * now; null when it does not validate), `appliedConfigHash` (what it runs), `valid`, `issues`.
 * The rest of the payload (the redacted config itself) is not kept.
 */
export function summarizeConfigGet(res: RpcResult): NonNullable<GatewayWsData["configRpc"]> {
  if (!res.ok) return { ok: false, error: res.error };
  const p = record(res.payload);
  const hash = (v: unknown) => (typeof v === "string" ? v.slice(0, 120) : v === null ? null : undefined);
  const out: NonNullable<GatewayWsData["configRpc"]> = { ok: true };
  const fileHash = hash(p.configRevisionHash);
  const appliedHash = hash(p.appliedConfigHash);
  if (fileHash !== undefined) out.fileHash = fileHash;
  if (appliedHash !== undefined) out.appliedHash = appliedHash;
  if (typeof p.valid === "boolean") out.valid = p.valid;
  if (Array.isArray(p.issues) && p.issues.length > 0) {
    out.issues = p.issues.slice(0, MAX_CONFIG_ISSUES).map((raw) => {
      const i = record(raw);
      const path = typeof i.path === "string" ? i.path : Array.isArray(i.path) ? i.path.join(".") : "";
      const message = typeof i.message === "string" ? i.message : JSON.stringify(raw);
      return `${path ? `${path}: ` : ""}${message}`.slice(0, 300);
    });
  }
  return out;
}

const MAX_FAILING_JOBS = 10;

/**
 * `cron.status` → `{ enabled, jobs, nextWakeAtMs }`; `cron.list` → `{ jobs: [...] }` of enabled
 * jobs, each with `lastRunStatus` (`ok`/`error`/`skipped`), `lastRunError` (a skipped run's reason too) and
 * `state.consecutiveErrors` (openclaw 2026.9.6 dist: cron service `status()`, `cronJobReadView`).
 */
export function summarizeCron(statusRes: RpcResult, listRes: RpcResult): NonNullable<GatewayWsData["cronRpc"]> {
  if (!statusRes.ok) return { ok: false, error: statusRes.error };
  const st = record(statusRes.payload);
  const summary: NonNullable<GatewayWsData["cronRpc"]> = { ok: true };
  if (typeof st.enabled === "boolean") summary.enabled = st.enabled;
  if (typeof st.jobs === "number") summary.jobs = st.jobs;
  if (typeof st.nextWakeAtMs === "number" || st.nextWakeAtMs === null) summary.nextWakeAtMs = st.nextWakeAtMs;
  if (!listRes.ok) return summary;
  const jobs = Array.isArray(record(listRes.payload).jobs) ? (record(listRes.payload).jobs as unknown[]) : [];
  summary.failing = jobs
    .map(record)
    .filter((j) => j.enabled !== false && j.lastRunStatus === "error")
    .map((j) => {
      const consecutive = record(j.state).consecutiveErrors;
      return {
        id: String(j.id ?? j.jobId ?? "?").slice(0, 80),
        name: String(j.displayName ?? j.name ?? j.id ?? "?").slice(0, 80),
        ...(typeof j.lastRunAtMs === "number" ? { lastRunAtMs: j.lastRunAtMs } : {}),
        ...(typeof j.lastRunError === "string" && j.lastRunError ? { lastError: j.lastRunError.slice(0, 300) } : {}),
        ...(typeof consecutive === "number" ? { consecutiveErrors: consecutive } : {}),
      };
    })
    .sort((a, b) => (b.lastRunAtMs ?? 0) - (a.lastRunAtMs ?? 0))
    .slice(0, MAX_FAILING_JOBS);
  const skipped = jobs
    .map(record)
    .filter((j) => j.enabled !== false && j.lastRunStatus === "skipped")
    .map((j) => ({
      id: String(j.id ?? j.jobId ?? "?").slice(0, 80),
      name: String(j.displayName ?? j.name ?? j.id ?? "?").slice(0, 80),
      ...(typeof j.lastRunAtMs === "number" ? { lastRunAtMs: j.lastRunAtMs } : {}),
      ...(typeof j.lastRunError === "string" && j.lastRunError ? { reason: j.lastRunError.slice(0, 300) } : {}),
    }))
    .sort((a, b) => (b.lastRunAtMs ?? 0) - (a.lastRunAtMs ?? 0))
    .slice(0, MAX_FAILING_JOBS);
  // Only when there are any: a summary without skipped runs reads as before issue 46.
  if (skipped.length > 0) summary.skipped = skipped;
  return summary;
}

export function summarizeHealth(res: RpcResult): NonNullable<GatewayWsData["healthRpc"]> {
  if (!res.ok) return { ok: false, error: res.error };
  const payload = record(res.payload);
  const summary: NonNullable<GatewayWsData["healthRpc"]> = { ok: payload.ok !== false };
  const hotReload = record(payload.configReload).hotReloadStatus;
  if (typeof hotReload === "string") summary.hotReloadStatus = hotReload;
  if (typeof payload.heartbeatSeconds === "number") summary.heartbeatSeconds = payload.heartbeatSeconds;
  const degraded = record(payload.modelRuntime).degraded;
  if (typeof degraded === "boolean") summary.modelRuntimeDegraded = degraded;
  const channels = record(payload.channels);
  summary.channels = Object.fromEntries(Object.entries(channels).map(([id, c]) => [id, summarizeChannel(record(c))]));
  return summary;
}

/**
 * One line per channel, judged like `openclaw health` does (health-format in the gateway's
 * dist): an unhealthy healthState, a failed probe or a last error means not ok.
 */
function summarizeChannel(c: Record<string, unknown>): { ok?: boolean; summary?: string } {
  const healthState = typeof c.healthState === "string" ? c.healthState : undefined;
  const statusState = typeof c.statusState === "string" ? c.statusState : undefined;
  const lastError = typeof c.lastError === "string" && c.lastError ? c.lastError : undefined;
  const probeOk = record(c.probe).ok;
  const state =
    c.enabled === false
      ? "disabled"
      : (healthState ??
        statusState ??
        (c.linked === true
          ? "linked"
          : c.configured === true
            ? "configured"
            : c.configured === false
              ? "not configured"
              : "unknown"));
  const ok =
    c.enabled === false || c.configured === false
      ? undefined
      : !(lastError || probeOk === false || (healthState !== undefined && healthState !== "healthy"));
  return {
    ...(ok === undefined ? {} : { ok }),
    summary: `${state}${probeOk === false ? " (probe failed)" : ""}${lastError ? `: ${lastError.slice(0, 300)}` : ""}`,
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
