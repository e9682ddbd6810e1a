import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ConsoleEvent, ConsoleLog } from "../adapters/console/feed.ts";
import { readStoredMessage } from "../adapters/console/legacy.ts";
import { applyMigrations, type SchemaMigrations } from "../adapters/sql/migrations.ts";
import { type SqlDriver, SqlStateStore, type SqlValue } from "../adapters/sql/state-store.ts";
import { damagedDatabaseMessage, isDamagedError, refuseEmptiedDatabase } from "./database-backup.ts";
import { ensurePrivateDir, ensurePrivateFile } from "./private-files.ts";
import { BUSY_WAIT_MS, guardBusy, probeWrites } from "./sqlite-busy.ts";
import { BACKSTOP_PAGES, WalCheckpointer } from "./wal-checkpointer.ts";

/**
 * The Node runtime's state: one SQLite file (node:sqlite) under the data folder. Hosts,
 * incidents, jobs (src/adapters/sql/state-store.ts, shared with Durable Object SQLite on Workers)
 * and console messages survive a control-plane restart.
 */
const PRAGMAS = `
PRAGMA journal_mode = WAL;
-- WAL + NORMAL: durable across process crashes, one fsync per checkpoint instead of per write.
PRAGMA synchronous = NORMAL;
-- At most this long a write waits for another process's lock (sqlite-busy.ts).
PRAGMA busy_timeout = ${BUSY_WAIT_MS};
-- Checkpoints run on a worker thread (wal-checkpointer.ts); this connection's own only as a backstop.
PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES};
`;
/** The console's messages (Node only), a schema of its own in the same file. */
const CONSOLE_MIGRATIONS: SchemaMigrations = {
  schema: "console",
  migrations: [
    {
      id: 1,
      name: "console events",
      up: `CREATE TABLE IF NOT EXISTS console_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT,
  text TEXT NOT NULL, blocks TEXT NOT NULL, at INTEGER NOT NULL);`,
    },
  ],
};

type Row = Record<string, string | number | null>;
type Statement = ReturnType<DatabaseSync["prepare"]>;

/**
 * node:sqlite behind the shared store's driver, compiling each SQL text once. A statement that
 * finds another process holding the write lock throws `database_busy` (sqlite-busy.ts).
 */
export function nodeDriver(db: DatabaseSync): SqlDriver & { statement(sql: string): Statement; clear(): void } {
  const name = db.location() ?? "the in-memory database";
  // Compiling SQL costs more than running these statements: prepare each text once.
  const statements = new Map<string, Statement>();
  const statement = (text: string): Statement => {
    let st = statements.get(text);
    if (!st) {
      st = db.prepare(text);
      statements.set(text, st);
    }
    return st;
  };
  return {
    name,
    exec: (script) => guardBusy(db, name, script, () => db.exec(script)),
    rows: (sql, ...params: SqlValue[]) => guardBusy(db, name, sql, () => statement(sql).all(...params) as Row[]),
    transaction: (fn) => {
      // Inside this connection's open write batch, the batch's commit is the transaction.
      if (db.isTransaction) return fn();
      guardBusy(db, name, "BEGIN IMMEDIATE", () => db.exec("BEGIN IMMEDIATE"));
      try {
        fn();
        // The commit is where WAL mode writes: a full disk shows here.
        guardBusy(db, name, "COMMIT", () => db.exec("COMMIT"));
      } catch (err) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw err;
      }
    },
    statement,
    clear: () => statements.clear(),
  };
}

/**
 * Opens the database file and applies its migrations. A file SQLite cannot read (damaged, or not
 * a database) stops here with what to do (database-backup.ts names the latest backup).
 */
function openDatabase(path: string): DatabaseSync {
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(path);
    db.exec(PRAGMAS);
    // Reads the schema: a damaged first page or schema table shows here, not at the first request.
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (err) {
    db?.close();
    if (isDamagedError(err)) throw new Error(damagedDatabaseMessage(path, err), { cause: err });
    throw err;
  }
}

export class SqliteStore extends SqlStateStore implements ConsoleLog {
  readonly db: DatabaseSync;
  /** The worker thread that checkpoints the log (a file database only). */
  readonly checkpointer: WalCheckpointer | null;
  private readonly node: ReturnType<typeof nodeDriver>;

  constructor(path: string) {
    if (path !== ":memory:") {
      // Before the file is made or opened: an emptied database where there was history stops here.
      refuseEmptiedDatabase(path);
      ensurePrivateDir(dirname(path));
      ensurePrivateFile(path, [`${path}-wal`, `${path}-shm`]);
    }
    const db = path === ":memory:" ? new DatabaseSync(path) : openDatabase(path);
    if (path === ":memory:") db.exec(PRAGMAS);
    const driver = nodeDriver(db);
    // The state's migrations (the shared store's constructor), then the console's.
    super(driver);
    applyMigrations(driver, CONSOLE_MIGRATIONS, { transaction: driver.transaction, now: Date.now, where: driver.name });
    this.db = db;
    this.node = driver;
    this.checkpointer = path === ":memory:" ? null : new WalCheckpointer(path);
  }

  /** /readyz: throws `database_busy` while another process holds the write lock (writes would fail). */
  probeWrites(): void {
    probeWrites(this.db, this.node.name);
  }

  /** The open write batch: committed by `commitBatch` a loop turn after it was opened. */
  private batch: { done: Promise<void>; settle: (err?: unknown) => void } | null = null;

  beginBatch(): void {
    if (this.batch || !this.db.isOpen || this.db.isTransaction) return;
    this.db.exec("BEGIN");
    let settle: (err?: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody may be waiting on it; a failed commit is reported to those who are.
    done.catch(() => {});
    this.batch = { done, settle };
    setImmediate(() => this.commitBatch());
  }

  flushed(): Promise<void> {
    return this.batch?.done ?? Promise.resolve();
  }

  private commitBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    try {
      guardBusy(this.db, this.node.name, "COMMIT", () => this.db.exec("COMMIT"));
      batch.settle();
    } catch (err) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      batch.settle(err);
    }
  }

  /** Closes the database (committing an open write batch first); closing it again does nothing. */
  close(): void {
    if (!this.db.isOpen) return;
    this.commitBatch();
    this.checkpointer?.close();
    this.node.clear();
    this.db.close();
  }

  private sql(text: string): Statement {
    return this.node.statement(text);
  }

  async append(event: Omit<ConsoleEvent, "seq">): Promise<ConsoleEvent> {
    const insert =
      "INSERT INTO console_events (kind, channel, ts, thread_ts, text, blocks, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq";
    const row = guardBusy(
      this.db,
      this.node.name,
      insert,
      () =>
        this.sql(insert).get(
          event.kind,
          event.channel,
          event.ts,
          event.threadTs,
          event.text,
          // The column is named for what it held first (Block Kit); it now holds the neutral message.
          JSON.stringify(event.message),
          event.at,
        ) as Row,
    );
    return { ...event, seq: Number(row.seq) };
  }

  async head(): Promise<number> {
    const row = this.sql("SELECT COALESCE(MAX(seq), 0) AS seq FROM console_events").get() as Row;
    return Number(row.seq);
  }

  async since(seq: number, limit = 500): Promise<ConsoleEvent[]> {
    const rows = this.sql("SELECT * FROM console_events WHERE seq > ? ORDER BY seq LIMIT ?").all(seq, limit) as Row[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      kind: r.kind as ConsoleEvent["kind"],
      channel: String(r.channel),
      ts: String(r.ts),
      threadTs: r.thread_ts === null ? null : String(r.thread_ts),
      text: String(r.text),
      message: readStoredMessage(String(r.text), String(r.blocks)),
      at: Number(r.at),
    }));
  }
}
