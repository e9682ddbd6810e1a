import { DurableObject } from "cloudflare:workers";
import type { WatchRecord } from "../core/ports/watch-record.ts";
import type { WorkerEnv } from "./env.ts";
import type { WatchShardRpc } from "./rpc.ts";
import { openWatchShardStore, type WatchTable } from "./watch-shard-store.ts";

/** How many shard objects hold the fleet's watch states. */
export const WATCH_SHARD_COUNT = 16;

/** The shard object a host's watch state lives in: FNV-1a of the name, modulo the shard count. */
export function watchShardName(host: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    h ^= host.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `watch-${h % WATCH_SHARD_COUNT}`;
}

/**
 * A copy of the watch states of the hosts that hash to it (docs/watch.md), in its SQLite
 * (watch-shard-store.ts): each host's object writes its own state here when it changes, so
 * `/openclaw status all` over 10,000 hosts reads 16 objects, not 10,000.
 */
export class WatchShard extends DurableObject<WorkerEnv> implements WatchShardRpc {
  private readonly table: WatchTable;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.table = openWatchShardStore(ctx.storage);
  }

  async put(record: WatchRecord): Promise<void> {
    this.table.put(record);
  }

  async remove(host: string): Promise<void> {
    this.table.remove(host);
  }

  /** Every state here, as JSON text (one string per host: cheaper over RPC than objects). */
  async list(): Promise<string[]> {
    return this.table.states();
  }
}

/** Reads every shard at once: the fleet's watch states. */
export async function listWatchShards(ns: DurableObjectNamespace<WatchShardRpc>): Promise<WatchRecord[]> {
  const shards = Array.from({ length: WATCH_SHARD_COUNT }, (_, i) => ns.get(ns.idFromName(`watch-${i}`)));
  const lists = await Promise.all(shards.map((s) => s.list()));
  return lists.flat().map((json) => JSON.parse(json) as WatchRecord);
}
