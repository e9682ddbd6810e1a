/**
 * Numbered schema migrations, recorded in the database itself (issue 32, item 9), for
 * node:sqlite and Durable Object SQLite alike. Each store names its schema (`state`,
 * `recovery`, `console`, `host`, `watch`) and lists its migrations; `applyMigrations` runs the
 * ones this database has not recorded, in order, in one transaction with their records in
 * `schema_migrations`, and refuses a database that recorded a migration this code does not know
 * (it was written by a newer clawops).
 *
 * Written here, not taken from a library: umzug (the well-kept general runner) needs node:fs
 * and node:path and is async only, while the Worker runs without nodejs_compat
 * (test/unit/core-purity.test.ts) and a Durable Object builds its stores synchronously in its
 * constructor; kysely's Migrator would bring a query builder and two dialects (the Durable
 * Object one a release candidate) for these few lines; durable-utils' migrations are
 * Workers-only.
 *
 * A migration never changes once released: a new table, column or index is a new number.
 * Migrations up to the first versioned release also have to accept any earlier unversioned
 * shape (databases from before this ledger record nothing), so those few check before they add.
 */
/** The shared SQL driver's shape (state-store.ts `SqlDriver`), named here so neither file imports the other. */
interface SqlDriver {
  exec(script: string): void;
  rows(sql: string, ...params: (string | number | null)[]): Record<string, unknown>[];
}

export interface Migration {
  /** 1, 2, 3, …: the order they run in; recorded once applied. */
  id: number;
  /** What it does, in a few words (recorded beside the id, for a person reading the table). */
  name: string;
  /** SQL to run, or a function for a step that has to look first. */
  up: string | ((sql: SqlDriver) => void);
}

export interface SchemaMigrations {
  /** The schema's name in the ledger: one database can hold several (the Node file holds three). */
  schema: string;
  migrations: readonly Migration[];
}

export type SchemaErrorCode = "schema_too_new" | "migration_failed";

/** The database cannot be used by this code: what happened and what to do, for a person. */
export class SchemaError extends Error {
  readonly code: SchemaErrorCode;
  constructor(code: SchemaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SchemaError";
    this.code = code;
  }
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  schema TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL,
  PRIMARY KEY (schema, id))`;

/** Runs `fn` atomically: the runtime's own transaction (BEGIN/COMMIT on Node, transactionSync on a Durable Object). */
export type Transaction = (fn: () => void) => void;

/** The ids this database has recorded for `schema` (none when the ledger does not exist yet). */
export function appliedMigrations(sql: SqlDriver, schema: string): number[] {
  // One read when the database is up to date: a Durable Object pays a commit for any write,
  // even a `CREATE TABLE IF NOT EXISTS` that finds the table (src/worker/host/store.ts).
  const ledger = sql.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (ledger.length === 0) return [];
  return sql.rows("SELECT id FROM schema_migrations WHERE schema = ? ORDER BY id", schema).map((r) => Number(r.id));
}

/**
 * Applies what `set` lists and the database has not recorded, and returns their ids (empty when
 * it was up to date: then nothing was written). Throws SchemaError when the database recorded a
 * migration past this code's last (`where` names the database in the message).
 */
export function applyMigrations(
  sql: SqlDriver,
  set: SchemaMigrations,
  opts: { transaction: Transaction; now: () => number; where: string },
): number[] {
  const known = Math.max(0, ...set.migrations.map((m) => m.id));
  const applied = new Set(appliedMigrations(sql, set.schema));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new SchemaError(
      "schema_too_new",
      `${opts.where} was written by a newer clawops: its ${set.schema} schema is at migration ${newest}, and this version knows migrations up to ${known}. Run the newer clawops again, or restore a backup taken before it was upgraded (docs/deploy-node.md, "Backups").`,
    );
  }
  const pending = [...set.migrations].filter((m) => !applied.has(m.id)).sort((a, b) => a.id - b.id);
  if (pending.length === 0) return [];
  let current: Migration | undefined;
  try {
    opts.transaction(() => {
      sql.exec(LEDGER);
      for (const m of pending) {
        current = m;
        if (typeof m.up === "string") sql.exec(m.up);
        else m.up(sql);
        sql.rows(
          "INSERT INTO schema_migrations (schema, id, name, applied_at) VALUES (?, ?, ?, ?)",
          set.schema,
          m.id,
          m.name,
          opts.now(),
        );
      }
    });
  } catch (err) {
    if (err instanceof SchemaError) throw err;
    const m = current;
    throw new SchemaError(
      "migration_failed",
      `${opts.where}: ${set.schema} migration ${m?.id} (${m?.name}) failed, so none of this start's migrations were applied: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return pending.map((m) => m.id);
}

/** `ALTER TABLE … ADD COLUMN` unless the table has the column already (an unversioned database that had it). */
export function addColumnIfMissing(sql: SqlDriver, table: string, column: string, definition: string): void {
  const columns = sql.rows(`PRAGMA table_info(${table})`).map((r) => String(r.name));
  if (!columns.includes(column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}
