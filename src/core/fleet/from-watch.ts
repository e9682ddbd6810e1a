import { freshness, type WatchSettings } from "../hosts/watch-state.ts";
import { builtinKnownIssues } from "../known-issues/builtin.ts";
import { versionIn } from "../known-issues/versions.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FleetRow } from "../ports/fleet.ts";
import type { HostRecord } from "../ports/store.ts";
import type { WatchRecord } from "../ports/watch-record.ts";
import type { FleetSelector } from "../requests/command.ts";
import { LAYERS } from "../vocabulary/layers.ts";
import { countRows, FLEET_DEADLINE_MS, type FleetReport, probeFleet, selectHosts, sortRows } from "./fleet.ts";
import { versionDrift } from "./versions.ts";

/**
 * `/openclaw status <selector>` from the stored watch state (docs/watch.md): no probe runs, so
 * it answers at once; each row says how old its state is. A host whose agent went quiet is
 * `stale` (its last state is not claimed), one with no stored state `unwatched` (or `offline`).
 * `status … --live` runs the fan-out instead (probeFleet).
 */
export async function fleetFromWatch(
  deps: Pick<CoreDeps, "store" | "transport" | "clock" | "logger" | "fleetFanout" | "knownIssues">,
  selector: FleetSelector,
  settings: Pick<WatchSettings, "intervalMs" | "digestMs">,
): Promise<FleetReport> {
  const started = deps.clock.now();
  const hosts = selectHosts(await deps.store.listHosts(), selector);
  const states = new Map<string, WatchRecord>();
  for (const w of (await deps.store.listWatch?.()) ?? []) states.set(w.host, w);
  // Hosts with no stored state: is their agent connected? Through the runtime's fan-out when
  // it has one (Workers: a call per host from one invocation would be one subrequest each).
  const unwatched = hosts.filter((h) => !states.has(h.name)).map((h) => h.name);
  const online = new Map<string, boolean>();
  if (unwatched.length > 0 && deps.fleetFanout) {
    const answers = await deps.fleetFanout.online(unwatched).catch(() => unwatched.map(() => false));
    for (const [i, h] of unwatched.entries()) online.set(h, answers[i] === true);
  }
  const now = deps.clock.now();
  const rows = await Promise.all(
    hosts.map(async (h): Promise<FleetRow> => {
      const w = states.get(h.name);
      if (!w) {
        const isOnline = online.has(h.name)
          ? online.get(h.name)
          : await deps.transport.isOnline(h.name).catch(() => false);
        return isOnline
          ? {
              host: h.name,
              state: "unwatched",
              layers: {},
              reason:
                "reachable, no watch state (an older agent, its watch off, or a host reached through AWS SSM); --live probes it",
            }
          : {
              host: h.name,
              state: "offline",
              layers: {},
              reason: `agent not connected (${h.lastSeenAt ? `last seen ${new Date(h.lastSeenAt).toISOString()}` : "never connected"}), never watched`,
            };
      }
      const ageMs = Math.max(0, now - w.reportedAt);
      const fresh = freshness(w, now, settings);
      if (fresh.stale) {
        const last = w.held ?? { healthy: w.last.healthy, reason: w.last.reason };
        return {
          host: h.name,
          state: "stale",
          layers: {},
          ageMs,
          reason: `${fresh.why === "no report from its agent since" ? "no report from its agent" : fresh.why}; last state ${last.healthy ? "healthy" : `failing: ${last.reason}`}`,
        };
      }
      const failing = w.held ? !w.held.healthy : !w.last.healthy;
      const warn = Object.values(w.last.layers).includes("warn");
      const pending = w.held && w.held.healthy !== w.last.healthy ? " (not yet held: 1 probe)" : "";
      return {
        host: h.name,
        state: failing ? "fail" : warn ? "warn" : "ok",
        layers: w.last.layers,
        ageMs,
        reason: `${w.last.reason}${pending}`,
      };
    }),
  );
  withVersions(rows, hosts, states);
  sortRows(rows);
  const counts = countRows(rows);
  const columns = LAYERS.filter((l) => rows.some((r) => r.layers[l] !== undefined && r.layers[l] !== "unknown"));
  const elapsedMs = deps.clock.now() - started;
  deps.logger.info("fleet status from the watch", { hosts: rows.length, ...counts, elapsedMs });
  const versions = versionDrift(hosts, states, deps.knownIssues ?? builtinKnownIssues());
  return {
    selector,
    rows,
    counts,
    columns,
    deadlineMs: FLEET_DEADLINE_MS,
    elapsedMs,
    source: "watch",
    ...(versions.known > 0 ? { versions } : {}),
  };
}

/**
 * The report `status <selector> [--live]` answers with: from the stored watch state when the
 * control plane watches (an interval above 0) and its store keeps watch states, else (and with
 * `--live`) the live fan-out.
 */
export async function fleetReportFor(
  deps: Pick<CoreDeps, "store" | "transport" | "clock" | "ids" | "logger" | "watch" | "fleetFanout" | "knownIssues">,
  command: { selector: FleetSelector; live?: boolean },
): Promise<FleetReport> {
  if (!command.live && deps.watch && answersFromWatch(deps)) return fleetFromWatch(deps, command.selector, deps.watch);
  const report = await probeFleet(deps, command.selector);
  // The quick probe reads no plugins: the versions come from the host records and the watch.
  const hosts = selectHosts(await deps.store.listHosts(), command.selector);
  const states = new Map<string, WatchRecord>();
  for (const w of (await deps.store.listWatch?.()) ?? []) states.set(w.host, w);
  const versions = versionDrift(hosts, states, deps.knownIssues ?? builtinKnownIssues());
  if (versions.known === 0) return report;
  withVersions(report.rows, hosts, states);
  return { ...report, versions };
}

/**
 * Each row's core version from its host record (the agent's last report) and the plugins its
 * watch last read (the matrix shows only those out of lockstep; `--json` has them all).
 */
function withVersions(rows: FleetRow[], hosts: readonly HostRecord[], states: ReadonlyMap<string, WatchRecord>): void {
  const by = new Map(hosts.map((h) => [h.name, versionIn(h.gatewayVersion)]));
  for (const r of rows) {
    const v = by.get(r.host);
    if (v) r.version = v;
    const plugins = states.get(r.host)?.last.attributes?.plugins;
    if (plugins) r.plugins = plugins;
  }
}

/** Whether `status <selector>` (without `--live`) reads the stored watch state. */
export function answersFromWatch(deps: Pick<CoreDeps, "store" | "watch">): boolean {
  return Boolean(deps.watch && deps.watch.intervalMs > 0 && deps.store.listWatch);
}
