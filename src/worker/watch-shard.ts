import { DurableObject } from "cloudflare:workers";
import { applyMigrations, type SchemaMigrations } from "../adapters/sql/migrations.ts";
import type { WatchRecord } from "../core/ports/watch-record.ts";
import { durableObjectSqlDriver } from "./do-sql-store.ts";
import type { WorkerEnv } from "./env.ts";
import type { WatchShardRpc } from "./rpc.ts";

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

/** The shard's schema, numbered (src/adapters/sql/migrations.ts). */
const WATCH_SHARD_MIGRATIONS: SchemaMigrations = {
  schema: "watch",
  migrations: [
    {
      id: 1,
      name: "watch states",
      up: "CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL)",
    },
  ],
};

/**
 * A copy of the watch states of the hosts that hash to it (docs/watch.md), in its SQLite: each
 * host's object writes its own state here when it changes, so `/openclaw status all` over
 * 10,000 hosts reads 16 objects, not 10,000.
 */
export class WatchShard extends DurableObject<WorkerEnv> implements WatchShardRpc {
  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    const name = "the watch shard's SQLite";
    applyMigrations(durableObjectSqlDriver(ctx.storage, name), WATCH_SHARD_MIGRATIONS, {
      transaction: (fn) => ctx.storage.transactionSync(fn),
      now: Date.now,
      where: name,
    });
  }

  async put(record: WatchRecord): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT INTO host_watch (host, state, reported_at) VALUES (?, ?, ?)
         ON CONFLICT (host) DO UPDATE SET state = excluded.state, reported_at = excluded.reported_at`,
      record.host,
      JSON.stringify(record),
      record.reportedAt,
    );
  }

  async remove(host: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM host_watch WHERE host = ?", host);
  }

  /** Every state here, as JSON text (one string per host: cheaper over RPC than objects). */
  async list(): Promise<string[]> {
    return this.ctx.storage.sql
      .exec<{ state: string }>("SELECT state FROM host_watch")
      .toArray()
      .map((r) => r.state);
  }
}

/** Reads every shard at once: the fleet's watch states. */
export async function listWatchShards(ns: DurableObjectNamespace<WatchShardRpc>): Promise<WatchRecord[]> {
  const shards = Array.from({ length: WATCH_SHARD_COUNT }, (_, i) => ns.get(ns.idFromName(`watch-${i}`)));
  const lists = await Promise.all(shards.map((s) => s.list()));
  return lists.flat().map((json) => JSON.parse(json) as WatchRecord);
}
