import { Worker } from "node:worker_threads";

/**
 * WAL checkpoints off the thread that answers HTTP.
 *
 * In WAL mode SQLite copies the log back into the database file (a checkpoint: page copies and
 * two fsyncs) on the commit that takes the log past `wal_autocheckpoint` pages, on the thread
 * that committed. Under a burst of slash commands that was the HTTP thread: a checkpoint about
 * every 1,000 pages, one or two per burst of 500 triage acks, each stalling every request in
 * flight for 10–40 ms (strace of the control plane under `npm run bench -- --only ack`), which
 * is the p99 of the whole burst. So a worker thread with its own connection runs a PASSIVE
 * checkpoint every `everyMs` (PASSIVE never waits for the writer: the HTTP thread keeps
 * appending to the log while the worker copies what is committed), and the main connection's
 * own threshold is only a backstop, `BACKSTOP_PAGES`, for a worker that died or fell behind.
 *
 * Durability is what WAL with `synchronous = NORMAL` gives either way: a commit is in the log
 * when it returns, and survives a crash of the process.
 */
export const BACKSTOP_PAGES = 10_000;

/** Plain JavaScript (an `eval` worker), so it runs the same from sources and from any bundle. */
const WORKER_SOURCE = `
const { DatabaseSync } = require("node:sqlite");
const { parentPort, workerData } = require("node:worker_threads");
const closed = new Int32Array(workerData.closed);
const done = () => { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0); };
let db;
try {
  db = new DatabaseSync(workerData.path);
  db.exec("PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;");
} catch (err) {
  done();
  throw err;
}
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  // A busy log is checkpointed at the next tick; the main connection's backstop covers the rest.
  try { checkpoint.get(); } catch {}
}, workerData.everyMs);
parentPort.on("message", (message) => {
  if (message !== "close") return;
  clearInterval(timer);
  try { db.close(); } finally { done(); }
  parentPort.close();
});
`;

/** How long `close` waits for the worker to close its connection (a checkpoint in progress). */
const CLOSE_WAIT_MS = 5_000;

export class WalCheckpointer {
  private readonly worker: Worker;
  /** Set to 1 by the worker once its connection is closed (or could not be opened). */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  /** Settles when the worker thread has exited (after `close`, or if it died). */
  readonly exited: Promise<void>;

  constructor(path: string, everyMs = 500) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, everyMs, closed: this.closed.buffer } });
    // It must not keep the process alive, and a worker that dies leaves the backstop.
    this.worker.unref();
    this.worker.on("error", () => {});
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", () => {
        Atomics.store(this.closed, 0, 1);
        resolve();
      }),
    );
  }

  /**
   * Has the worker close its connection, and waits for that (at most 5 s): the caller's
   * connection then closes last, so SQLite's final checkpoint and the removal of the log happen
   * in the caller's `close`, not later under a caller that already moved on (removed the folder).
   */
  close(): void {
    if (Atomics.load(this.closed, 0) === 1) return;
    this.worker.postMessage("close");
    Atomics.wait(this.closed, 0, 0, CLOSE_WAIT_MS);
  }
}
