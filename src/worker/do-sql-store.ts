import { type SqlDriver, SqlStateStore, type SqlValue } from "../adapters/sql/state-store.ts";

/** Durable Object SQLite (`ctx.storage.sql`) behind the shared SQL driver. */
export function durableObjectSqlDriver(sql: SqlStorage): SqlDriver {
  return {
    exec: (script) => {
      sql.exec(script);
    },
    rows: (query, ...params: SqlValue[]) => sql.exec(query, ...params).toArray(),
  };
}

/**
 * The Workers runtime's state: Durable Object SQLite inside the one directory object
 * (src/worker/directory.ts). The tables and queries are the Node runtime's
 * (src/adapters/sql/state-store.ts); each call is one synchronous statement, so each is atomic
 * within the object.
 */
export class DurableObjectSqlStore extends SqlStateStore {
  constructor(sql: SqlStorage) {
    super(durableObjectSqlDriver(sql));
  }
}
