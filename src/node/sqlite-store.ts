import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ConsoleEvent, ConsoleLog } from "../adapters/console/feed.ts";
import { readStoredMessage } from "../adapters/console/legacy.ts";
import { type SqlDriver, SqlStateStore, type SqlValue } from "../adapters/sql/state-store.ts";
import { ensurePrivateDir, ensurePrivateFile } from "./private-files.ts";
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
PRAGMA busy_timeout = 5000;
-- Checkpoints run on a worker thread (wal-checkpointer.ts); this connection's own only as a backstop.
PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES};
`;
const CONSOLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS console_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT,
  text TEXT NOT NULL, blocks TEXT NOT NULL, at INTEGER NOT NULL);
`;

type Row = Record<string, string | number | null>;
type Statement = ReturnType<DatabaseSync["prepare"]>;

/** node:sqlite behind the shared store's driver, compiling each SQL text once. */
export function nodeDriver(db: DatabaseSync): SqlDriver & { statement(sql: string): Statement; clear(): void } {
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
    exec: (script) => db.exec(script),
    rows: (sql, ...params: SqlValue[]) => statement(sql).all(...params) as Row[],
    statement,
    clear: () => statements.clear(),
  };
}

export class SqliteStore extends SqlStateStore implements ConsoleLog {
  readonly db: DatabaseSync;
  /** The worker thread that checkpoints the log (a file database only). */
  readonly checkpointer: WalCheckpointer | null;
  private readonly node: ReturnType<typeof nodeDriver>;

  constructor(path: string) {
    if (path !== ":memory:") {
      ensurePrivateDir(dirname(path));
      ensurePrivateFile(path, [`${path}-wal`, `${path}-shm`]);
    }
    const db = new DatabaseSync(path);
    db.exec(PRAGMAS);
    // Databases from before fleet tags get the column before the shared schema is checked.
    const hosts = db.prepare("PRAGMA table_info(hosts)").all() as Row[];
    if (hosts.length > 0 && !hosts.some((c) => c.name === "tags")) db.exec("ALTER TABLE hosts ADD COLUMN tags TEXT");
    const driver = nodeDriver(db);
    super(driver);
    this.db = db;
    this.node = driver;
    db.exec(CONSOLE_SCHEMA);
    this.checkpointer = path === ":memory:" ? null : new WalCheckpointer(path);
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
      this.db.exec("COMMIT");
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
    const row = this.sql(
      "INSERT INTO console_events (kind, channel, ts, thread_ts, text, blocks, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
    ).get(
      event.kind,
      event.channel,
      event.ts,
      event.threadTs,
      event.text,
      // The column is named for what it held first (Block Kit); it now holds the neutral message.
      JSON.stringify(event.message),
      event.at,
    ) as Row;
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
