import { applyMigrations, type SchemaMigrations } from "../adapters/sql/migrations.ts";
import type { WatchRecord } from "../core/ports/watch-record.ts";
import { durableObjectSqlDriver } from "./do-sql-store.ts";

/**
 * The `host_watch` table (docs/watch.md): each host's watch state as JSON, one row per host. Two
 * objects keep it: each host's object its own row (host/store.ts), and each watch shard the rows
 * of the hosts that hash to it, so its definition and statements are here, once.
 */
export const HOST_WATCH_TABLE =
  "CREATE TABLE IF NOT EXISTS host_watch (host TEXT PRIMARY KEY, state TEXT NOT NULL, reported_at INTEGER NOT NULL)";

/** The watch shard's schema, numbered (src/adapters/sql/migrations.ts). */
export const WATCH_SHARD_MIGRATIONS: SchemaMigrations = {
  schema: "watch",
  migrations: [{ id: 1, name: "watch states", up: HOST_WATCH_TABLE }],
};

/** Every statement on `host_watch`, in whichever object's SQLite it is given. */
export class WatchTable {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** The host's state, if one is kept. */
  get(host: string): WatchRecord | null {
    const row = this.sql.exec<{ state: string }>("SELECT state FROM host_watch WHERE host = ?", host).toArray()[0];
    return row ? (JSON.parse(row.state) as WatchRecord) : null;
  }

  /** Some one state kept here (a host's object keeps only its own host's), if any. */
  any(): WatchRecord | null {
    const row = this.sql.exec<{ state: string }>("SELECT state FROM host_watch LIMIT 1").toArray()[0];
    return row ? (JSON.parse(row.state) as WatchRecord) : null;
  }

  /** Writes the host's state over the one kept. */
  put(record: WatchRecord): void {
    this.sql.exec(
      `INSERT INTO host_watch (host, state, reported_at) VALUES (?, ?, ?)
         ON CONFLICT (host) DO UPDATE SET state = excluded.state, reported_at = excluded.reported_at`,
      record.host,
      JSON.stringify(record),
      record.reportedAt,
    );
  }

  remove(host: string): void {
    this.sql.exec("DELETE FROM host_watch WHERE host = ?", host);
  }

  /** Every state kept, as its JSON text (what the shard sends over RPC: cheaper than objects). */
  states(): string[] {
    return this.sql
      .exec<{ state: string }>("SELECT state FROM host_watch")
      .toArray()
      .map((r) => r.state);
  }
}

/** A watch shard's store: its schema brought up to date (SchemaError: written by a newer clawops), then its table. */
export function openWatchShardStore(storage: DurableObjectStorage): WatchTable {
  const name = "the watch shard's SQLite";
  applyMigrations(durableObjectSqlDriver(storage, name), WATCH_SHARD_MIGRATIONS, {
    transaction: (fn) => storage.transactionSync(fn),
    now: Date.now,
    where: name,
  });
  return new WatchTable(storage.sql);
}
