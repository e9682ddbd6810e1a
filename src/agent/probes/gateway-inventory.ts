import { DEFAULT_STEP_DEADLINE_MS, type GatewayInventoryData } from "../../contract/catalog.ts";
import { pinOf, resolveGatewayTarget } from "./gateway-target.ts";
import { connectGateway, RPC_TIMEOUT_MS, type RpcResult } from "./gateway-ws-client.ts";
import { budget, type Probe } from "./probe.ts";

/**
 * The gateway's own inventory (issue 30, classes 14, 15, 17), over one session with the
 * operator.read scope every triage already has (checked on openclaw 2026.9.6: `health`,
 * `node.list` and `config.get` answer it; `device.pair.list` needs operator.pairing, so pending
 * pairings come from doctor instead). Only ids, states and the gateway's own warning sentences
 * are kept: `config.get` also returns the config itself, which is dropped on the host.
 */
export const probeGatewayInventory: Probe<"gateway.inventory"> = async (ctx, args, run) => {
  const target = await resolveGatewayTarget(ctx, run.readings);
  const hs = await connectGateway({
    url: target.wsUrl,
    token: target.token,
    timeoutMs: budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.inventory"]),
    signal: run.signal,
    clientVersion: ctx.agentVersion,
    scopes: ["operator.read"],
    ...pinOf(target),
  });
  if (!hs.connection) return { reachable: false, error: `${hs.outcome}${hs.error ? `: ${hs.error.message}` : ""}` };
  try {
    const t = budget(run, RPC_TIMEOUT_MS);
    const [health, nodes, config] = await Promise.all([
      hs.connection.request("health", {}, t),
      hs.connection.request("node.list", {}, t),
      hs.connection.request("config.get", {}, t),
    ]);
    const data: GatewayInventoryData = { reachable: true };
    const plugins = summarizePlugins(health);
    if (plugins) data.plugins = plugins;
    const nodeList = summarizeNodes(nodes);
    if (nodeList) data.nodes = nodeList;
    const warnings = summarizeConfigWarnings(config);
    if (warnings) data.configWarnings = warnings;
    const errors = [health, nodes, config].filter((r): r is Extract<RpcResult, { ok: false }> => !r.ok);
    if (errors.length > 0) data.error = errors.map((r) => r.error.message).join("; ");
    return data;
  } finally {
    await hs.connection.close();
  }
};

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** A plugin error or unavailability as one line: its id and what the gateway says, when it does. */
function pluginLine(v: unknown): string {
  if (typeof v === "string") return cut(v, 200);
  const r = record(v);
  const id = [r.id, r.pluginId, r.name].find((x) => typeof x === "string") as string | undefined;
  const why = [r.message, r.error, r.reason, r.code].find((x) => typeof x === "string") as string | undefined;
  return cut(`${id ?? "?"}${why ? `: ${why}` : ""}`, 200);
}

/** `health` → `plugins: { loaded: [ids], errors: [...], unavailable: [...] }` (openclaw 2026.9.6). */
export function summarizePlugins(res: RpcResult): GatewayInventoryData["plugins"] | undefined {
  if (!res.ok) return undefined;
  const p = record(record(res.payload).plugins);
  if (!Array.isArray(p.loaded)) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v.slice(0, 30).map(pluginLine) : []);
  return {
    loaded: p.loaded.filter((x): x is string => typeof x === "string").slice(0, 100),
    errors: list(p.errors),
    unavailable: list(p.unavailable),
  };
}

/** `node.list` → `{ nodes: [{ nodeId, displayName, paired, connected, lastSeenAtMs, … }] }`, at most 30. */
export function summarizeNodes(res: RpcResult): GatewayInventoryData["nodes"] | undefined {
  if (!res.ok) return undefined;
  const nodes = record(res.payload).nodes;
  if (!Array.isArray(nodes)) return undefined;
  return nodes.slice(0, 30).map((raw) => {
    const n = record(raw);
    const bool = (k: string) => (typeof n[k] === "boolean" ? { [k]: n[k] as boolean } : {});
    const seen = [n.lastSeenAtMs, n.connectedAtMs].find((x) => typeof x === "number") as number | undefined;
    return {
      id: cut(String(n.nodeId ?? n.id ?? "?"), 80),
      ...(typeof n.displayName === "string" && n.displayName ? { name: cut(n.displayName, 80) } : {}),
      ...bool("paired"),
      ...bool("connected"),
      ...(seen !== undefined ? { lastSeenAtMs: seen } : {}),
    };
  });
}

/**
 * `config.get` → `warnings: [{ path, message }]`, the gateway's own sentences ("plugin not found:
 * x (stale config entry ignored; …)", `Missing env var "X" - feature using this value will be
 * unavailable`), at most 10. The rest of the payload (the config, raw and resolved) stays here.
 */
export function summarizeConfigWarnings(res: RpcResult): string[] | undefined {
  if (!res.ok) return undefined;
  const warnings = record(res.payload).warnings;
  if (!Array.isArray(warnings)) return undefined;
  return warnings.slice(0, 10).map((raw) => {
    const w = record(raw);
    const path = typeof w.path === "string" ? w.path : "";
    const message = typeof w.message === "string" ? w.message : JSON.stringify(raw);
    // The message first: "apiKey: Missing …" would read as a key and its value to a redactor.
    return cut(`${message}${path ? ` (at ${path})` : ""}`, 300);
  });
}
