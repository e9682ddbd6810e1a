import type { WatchRecord } from "../../core/ports/watch-record.ts";
import { DirectoryStore } from "../directory-store.ts";
import type { DirectoryRpc, WatchShardRpc } from "../rpc.ts";
import { watchShardName } from "../watch-shard.ts";
import type { WatchTable } from "../watch-shard-store.ts";

/**
 * The Store of a host's object: the directory for everything, and this host's watch state in
 * the object's own SQLite (store.ts), copied to its shard whenever it is written.
 */
export class HostWatchStore extends DirectoryStore {
  private readonly table: WatchTable;
  private readonly shards: DurableObjectNamespace<WatchShardRpc>;

  constructor(
    directory: DurableObjectNamespace<DirectoryRpc>,
    table: WatchTable,
    shards: DurableObjectNamespace<WatchShardRpc>,
  ) {
    super(directory);
    this.table = table;
    this.shards = shards;
  }

  async getWatch(host: string): Promise<WatchRecord | null> {
    return this.table.get(host);
  }

  async putWatch(record: WatchRecord): Promise<void> {
    this.table.put(record);
    await this.shards.get(this.shards.idFromName(watchShardName(record.host))).put(record);
  }

  /** This object's own host only (its sweep). */
  async listWatch(): Promise<WatchRecord[]> {
    return this.table.states().map((json) => JSON.parse(json) as WatchRecord);
  }
}
