import { type SqlDriver, SqlStateStore, type SqlValue } from "../adapters/sql/state-store.ts";

/**
 * Durable Object SQLite (`ctx.storage.sql`) behind the shared SQL driver; `transactionSync` for
 * the migrations at start. One object's storage has one writer (the object), so it is never
 * busy the way a file another process locks is.
 */
export function durableObjectSqlDriver(storage: DurableObjectStorage, name: string): SqlDriver {
  const sql = storage.sql;
  return {
    name,
    exec: (script) => {
      sql.exec(script);
    },
    rows: (query, ...params: SqlValue[]) => sql.exec(query, ...params).toArray(),
    transaction: (fn) => storage.transactionSync(fn),
  };
}

/**
 * The Workers runtime's state: Durable Object SQLite inside the one directory object
 * (src/worker/directory.ts). The tables and queries are the Node runtime's
 * (src/adapters/sql/state-store.ts); each call is one synchronous statement, so each is atomic
 * within the object.
 */
export class DurableObjectSqlStore extends SqlStateStore {
  constructor(storage: DurableObjectStorage, name = "the directory object's SQLite") {
    super(durableObjectSqlDriver(storage, name));
  }
}
