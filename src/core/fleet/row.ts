import type { StepName } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import { LAYERS, type Layer, type LayerStatus, statusRank } from "../layers.ts";
import type { HostRecord, JobOutcome } from "../ports.ts";

/**
 * A host's row: its worst layer, or why there is no matrix for it. From the watch also `stale`
 * (its last state may no longer hold) and `unwatched` (no state stored yet).
 */
export type FleetHostState = "ok" | "warn" | "fail" | "no-answer" | "offline" | "stale" | "unwatched";

export interface FleetRow {
  host: string;
  state: FleetHostState;
  /** Per layer, for hosts that answered. */
  layers: Partial<Record<Layer, LayerStatus>>;
  /** The worst layer's reason, or why the host did not answer. */
  reason: string;
  /** From the watch: how old the row's state is (ms since its agent last reported). */
  ageMs?: number;
}

/** What a host's row needs of its record: its name, and when its agent was last seen (offline rows say it). */
export type ProbeTarget = Pick<HostRecord, "name" | "lastSeenAt">;

/**
 * A runtime's own way of running the live quick-probe fan-out (`status … --live`), where one
 * caller calling every host would not do: on Workers, a few fan-out objects, each calling a
 * few hundred hosts' objects (src/worker/fanout-shard.ts), so no invocation makes more than
 * that many subrequests. Absent: the caller calls every host itself (`probeHosts`).
 */
export interface FleetFanout {
  /**
   * Quick-probes `hosts` (one call per host, no progress frames), answering within about
   * `deadlineMs`: one row per host, in any order; a host that did not answer, or whose part of
   * the fan-out failed, is a `no-answer` row saying why.
   */
  probe(hosts: readonly ProbeTarget[], deadlineMs: number): Promise<FleetRow[]>;
  /**
   * Whether each host's agent is connected, in the order given (`status` from the watch asks
   * it of the hosts with no stored state); through the same fan-out, so no caller asks them all.
   */
  online(hosts: readonly string[]): Promise<boolean[]>;
}

/** A host's row from its quick probe's outcome (or its deadline passing first). */
export function rowFor(
  h: ProbeTarget,
  outcome: JobOutcome | "deadline",
  steps: StepName[],
  deadlineMs: number,
): FleetRow {
  const host = h.name;
  if (outcome === "deadline") {
    return { host, state: "no-answer", layers: {}, reason: `no answer within ${(deadlineMs / 1000).toFixed(1)} s` };
  }
  if (outcome.status === "rejected") {
    return { host, state: "no-answer", layers: {}, reason: `agent refused the probe: ${outcome.error.message}` };
  }
  if (outcome.status === "lost" && outcome.offline) {
    const seen = h.lastSeenAt ? `last seen ${new Date(h.lastSeenAt).toISOString()}` : "never connected";
    return { host, state: "offline", layers: {}, reason: `agent not connected (${seen})` };
  }
  if (outcome.status === "lost") return { host, state: "no-answer", layers: {}, reason: outcome.reason };
  const c = classifyResults(outcome.results, steps);
  const layers: Partial<Record<Layer, LayerStatus>> = {};
  let worst: LayerStatus = "ok";
  let reason = "every probed layer ok";
  for (const l of LAYERS) {
    const cell = c.matrix[l];
    layers[l] = cell.status;
    if (cell.status !== "unknown" && statusRank(cell.status) > statusRank(worst)) {
      worst = cell.status;
      reason = cell.reason;
    }
  }
  const top = c.findings[0];
  if (top && worst !== "ok") reason = top.title;
  if (outcome.status === "timeout") reason = `${reason} (some probes did not finish)`;
  return { host, state: worst === "fail" ? "fail" : worst === "warn" ? "warn" : "ok", layers, reason };
}
