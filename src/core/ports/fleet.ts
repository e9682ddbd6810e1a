import type { Layer, LayerStatus } from "../vocabulary/layers.ts";
import type { HostRecord } from "./store.ts";

/** The live fleet fan-out (`status … --live`) and the rows it answers with. */

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
  /** The host's OpenClaw core version as its agent last reported it (fleet/versions.ts). */
  version?: string;
  /** The plugins its watch last read from the state folder, `<package> <version>`. */
  plugins?: string[];
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
