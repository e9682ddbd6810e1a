import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { RequestLull } from "../../src/node/request-lull.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { BACKSTOP_PAGES } from "../../src/node/wal-checkpointer.ts";

/**
 * Issue 17 item 2, the parts of the ack path that are the Node runtime's own: the write batch
 * the commands of one loop turn share (their ack waits for its commit), and the lull a queued
 * job waits for before it starts.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the commands of one loop turn share one commit", () => {
  it("what a batch wrote is on disk, for another connection, once flushed resolves; not before", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawops-batch-"));
    dirs.push(dir);
    const path = join(dir, "clawops.sqlite");
    const store = new SqliteStore(path);
    const other = new DatabaseSync(path);
    const count = () => Number((other.prepare("SELECT COUNT(*) AS n FROM claims").get() as { n: number }).n);
    try {
      store.beginBatch();
      store.beginBatch(); // joins the open batch
      expect(await store.claim("slack:T1:a", 1, 600_000)).toBe(true);
      expect(await store.claim("slack:T1:b", 2, 600_000)).toBe(true);
      // This connection sees its own writes (a replay in the same turn is refused) …
      expect(await store.claim("slack:T1:a", 3, 600_000)).toBe(false);
      // … another one only what is committed.
      expect(count()).toBe(0);
      await store.flushed();
      expect(count()).toBe(2);
      // No batch open: flushed resolves at once, and writes commit one by one as before.
      await store.flushed();
      expect(await store.claim("slack:T1:c", 4, 600_000)).toBe(true);
      expect(count()).toBe(3);
    } finally {
      other.close();
      store.close();
    }
  });

  it("closing the store commits an open batch", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawops-batch-"));
    dirs.push(dir);
    const path = join(dir, "clawops.sqlite");
    const store = new SqliteStore(path);
    store.beginBatch();
    await store.claim("slack:T1:closing", 1, 600_000);
    store.close();
    const again = new SqliteStore(path);
    try {
      expect(await again.claim("slack:T1:closing", 2, 600_000)).toBe(false);
    } finally {
      again.close();
    }
  });
});

describe("the log is checkpointed by a worker thread, not by the thread that commits", () => {
  it("copies the log into the database while the committing connection does not, and loses nothing at close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawops-wal-"));
    dirs.push(dir);
    const path = join(dir, "clawops.sqlite");
    const store = new SqliteStore(path);
    const pageSize = Number((store.db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);
    // The committing connection would checkpoint only past the backstop …
    expect(
      (store.db.prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint,
    ).toBe(BACKSTOP_PAGES);
    store.db.exec("CREATE TABLE scratch (id INTEGER PRIMARY KEY, blob BLOB NOT NULL)");
    const insert = store.db.prepare("INSERT INTO scratch (blob) VALUES (?)");
    // … and this writes some 2,000 pages (past SQLite's default of 1,000, short of the backstop),
    // committed in turns, as a burst of commands would.
    for (let turn = 0; turn < 20; turn++) {
      store.db.exec("BEGIN");
      for (let i = 0; i < 25; i++) insert.run(Buffer.alloc(4 * pageSize - 200, turn));
      store.db.exec("COMMIT");
    }
    // None of this connection's commits checkpoints (the backstop is not reached); the database
    // file grows only as the worker copies the log into it, with no write from this thread.
    const deadline = Date.now() + 15_000;
    while (statSync(path).size / pageSize < 1_500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(path).size / pageSize).toBeGreaterThanOrEqual(1_500);
    const exited = store.checkpointer?.exited;
    expect(exited).toBeDefined();
    store.close();
    // The worker closed its connection first, so this close was the last one: the log is
    // checkpointed and removed before close returns (a caller may remove the folder next).
    expect(existsSync(`${path}-wal`)).toBe(false);
    await exited;
    const again = new DatabaseSync(path);
    try {
      expect((again.prepare("SELECT COUNT(*) AS n FROM scratch").get() as { n: number }).n).toBe(500);
    } finally {
      again.close();
    }
  });

  it("an in-memory store has no worker", () => {
    const store = new SqliteStore(":memory:");
    expect(store.checkpointer).toBeNull();
    store.close();
  });
});

describe("a queued job waits for a lull in requests", () => {
  it("starts at once when no request is being answered, and waits while one is", async () => {
    const lull = new RequestLull(0);
    await lull.wait(60_000);
    let finish: () => void = () => {};
    const request = lull.around(
      () =>
        new Promise<void>((r) => {
          finish = r;
        }),
    );
    expect(lull.inFlight).toBe(1);
    const order: string[] = [];
    const waited = lull.wait(60_000).then(() => order.push("job starts"));
    await new Promise((r) => setTimeout(r, 20));
    order.push("request answered");
    finish();
    await request;
    await waited;
    expect(order).toEqual(["request answered", "job starts"]);
    expect(lull.inFlight).toBe(0);
  });

  it("does not wait past its bound while requests keep coming", async () => {
    const lull = new RequestLull(0);
    let finish: () => void = () => {};
    const request = lull.around(
      () =>
        new Promise<void>((r) => {
          finish = r;
        }),
    );
    const order: string[] = [];
    await lull.wait(5).then(() => order.push("job starts"));
    order.push("request answered");
    finish();
    await request;
    expect(order).toEqual(["job starts", "request answered"]);
  });

  it("counts requests that carry work, not reads such as the console's event stream", () => {
    expect(["POST", "PUT", "DELETE"].every(RequestLull.counts)).toBe(true);
    expect(["GET", "HEAD", "OPTIONS"].some(RequestLull.counts)).toBe(false);
  });
});
