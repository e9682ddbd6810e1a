import type { DatabaseSync } from "node:sqlite";
import { SqlRecoveryStore } from "../adapters/sql/recovery-store.ts";
import { nodeDriver } from "./sqlite-store.ts";

/**
 * Freezes, confirmations and the audit log in the control plane's SQLite file (the same
 * DatabaseSync as SqliteStore); the tables and queries are shared with the Workers runtime
 * (src/adapters/sql/recovery-store.ts).
 */
export class SqliteRecoveryStore extends SqlRecoveryStore {
  constructor(db: DatabaseSync) {
    super(nodeDriver(db));
  }
}
