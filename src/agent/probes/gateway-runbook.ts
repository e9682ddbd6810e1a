import {
  DEFAULT_STEP_DEADLINE_MS,
  type GatewayAcceptanceData,
  type GatewayInflightData,
} from "../../contract/catalog.ts";
import { monotonicMs } from "../monotonic.ts";
import { httpGet } from "./gateway-http.ts";
import { pinOf, resolveGatewayTarget } from "./gateway-target.ts";
import { connectGateway, type GatewayConnection, RPC_TIMEOUT_MS, type RpcResult } from "./gateway-ws-client.ts";
import { budget, type Probe, type ProbeRun } from "./probe.ts";

/**
 * The recovery runbook's gateway calls, over the same WS RPC as `gateway.ws`
 * (methods and scopes checked on openclaw 2026.9.6: `sessions.list`, `tasks.list`,
 * `cron.list` and `status` need operator.read, `sessions.create` operator.write,
 * `sessions.delete` operator.admin).
 */

/** A cron job due within this window counts as in flight, unless the step asks for another. */
const DEFAULT_DUE_WITHIN_MS = 10 * 60_000;

type Connected = { connection: GatewayConnection } | { error: string };

async function connect(
  ctx: Parameters<Probe<"gateway.ws">>[0],
  run: ProbeRun,
  timeoutMs: number,
  scopes: string[],
): Promise<Connected> {
  const target = await resolveGatewayTarget(ctx, run.readings);
  const hs = await connectGateway({
    url: target.wsUrl,
    token: target.token,
    timeoutMs: budget(run, timeoutMs),
    signal: run.signal,
    clientVersion: ctx.agentVersion,
    scopes,
    ...pinOf(target),
  });
  if (hs.connection) return { connection: hs.connection };
  return { error: `${hs.outcome}${hs.error ? `: ${hs.error.message}` : ""}` };
}

const rpcError = (r: RpcResult) => (r.ok ? undefined : r.error.message);
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** What a restart would cut off: open sessions, queued/running tasks, cron jobs due soon. */
export const probeGatewayInflight: Probe<"gateway.inflight"> = async (ctx, args, run) => {
  // A draining gateway refuses the WebSocket (503 'websocket admission closed'); its /readyz says why.
  const [c, readyz] = await Promise.all([
    connect(ctx, run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.inflight"], ["operator.read"]),
    readReadyz(ctx, run),
  ]);
  if ("error" in c) return { reachable: false, error: c.error, sessions: null, tasks: null, cron: null, readyz };
  const data: GatewayInflightData = { reachable: true, sessions: null, tasks: null, cron: null, readyz };
  const errors: string[] = [];
  try {
    const t = () => budget(run, RPC_TIMEOUT_MS);
    const [sessions, tasks, cron] = await Promise.all([
      c.connection.request("sessions.list", {}, t()),
      c.connection.request("tasks.list", {}, t()),
      c.connection.request("cron.list", {}, t()),
    ]);
    if (sessions.ok) {
      const p = record(sessions.payload);
      data.sessions = { count: typeof p.totalCount === "number" ? p.totalCount : list(p.sessions).length };
    } else errors.push(`sessions.list: ${rpcError(sessions)}`);
    if (tasks.ok) {
      const all = list(record(tasks.payload).tasks).map(record);
      const active = all.filter((x) => x.status === "queued" || x.status === "running").length;
      data.tasks = { total: all.length, active };
    } else errors.push(`tasks.list: ${rpcError(tasks)}`);
    if (cron.ok) {
      const jobs = list(record(cron.payload).jobs).map(record);
      const horizon = Date.now() + (args.dueWithinMs ?? DEFAULT_DUE_WITHIN_MS);
      const dueSoon = jobs
        .filter((j) => j.enabled !== false && typeof j.nextRunAtMs === "number" && j.nextRunAtMs <= horizon)
        .map((j) => ({
          name: String(j.displayName ?? j.name ?? j.id ?? "?").slice(0, 80),
          nextRunAtMs: j.nextRunAtMs as number,
        }));
      data.cron = { jobs: jobs.length, dueSoon };
    } else errors.push(`cron.list: ${rpcError(cron)}`);
  } finally {
    await c.connection.close();
  }
  if (errors.length) data.error = errors.join("; ");
  return data;
};

/** `/readyz` → its status and `failing` checks (e.g. `gateway-draining`). */
async function readReadyz(
  ctx: Parameters<Probe<"gateway.inflight">>[0],
  run: ProbeRun,
): Promise<NonNullable<GatewayInflightData["readyz"]>> {
  const target = await resolveGatewayTarget(ctx, run.readings);
  const r = await httpGet(`${target.httpUrl}/readyz`, budget(run, 3_000), run.signal, target.tls?.sha256 ?? undefined);
  const failing = list(record(r.body).failing)
    .filter((x): x is string => typeof x === "string")
    .map((x) => x.slice(0, 80))
    .slice(0, 10);
  return { status: r.status, failing };
}

/**
 * One read-only call (`status`) and one write call (`sessions.create` of a labelled scratch
 * session), then the scratch session is deleted again. Passes only when read and write do.
 */
export const probeGatewayAcceptance: Probe<"gateway.acceptance"> = async (ctx, args, run) => {
  const c = await connect(ctx, run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.acceptance"], [
    "operator.read",
    "operator.write",
    "operator.admin",
  ]);
  if ("error" in c) return { reachable: false, error: c.error, read: null, write: null, cleanup: null, passed: false };
  const timed = async (method: string, params: Record<string, unknown>, wantedMs = RPC_TIMEOUT_MS) => {
    const started = monotonicMs();
    const r = await c.connection.request(method, params, budget(run, wantedMs));
    const check = { method, ok: r.ok, ms: Math.round(monotonicMs() - started) };
    return { r, check: r.ok ? check : { ...check, error: rpcError(r) } };
  };
  try {
    const read = await timed("status", {});
    const write = await timed("sessions.create", { label: `clawops-acceptance-${Date.now().toString(36)}` });
    const key = write.r.ok ? record(write.r.payload).key : undefined;
    // The delete archives the scratch transcript; the first one after a gateway start also loads
    // that code, measured at 4.6 s on an idle host. It gets what is left of the step's deadline.
    const cleanup = typeof key === "string" ? (await timed("sessions.delete", { key }, run.remainingMs())).check : null;
    const data: GatewayAcceptanceData = {
      reachable: true,
      read: read.check,
      write: write.check,
      cleanup,
      passed: read.check.ok && write.check.ok,
    };
    return data;
  } finally {
    await c.connection.close();
  }
};
