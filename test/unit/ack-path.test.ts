import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { RequestLull } from "../../src/node/request-lull.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";

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
    const count = () => Number((other.prepare("SELECT COUNT(*) AS n FROM requests").get() as { n: number }).n);
    try {
      store.beginBatch();
      store.beginBatch(); // joins the open batch
      expect(await store.claimRequest("slack:T1:a", 1, 0)).toBe(true);
      expect(await store.claimRequest("slack:T1:b", 2, 0)).toBe(true);
      // This connection sees its own writes (a replay in the same turn is refused) …
      expect(await store.claimRequest("slack:T1:a", 3, 0)).toBe(false);
      // … another one only what is committed.
      expect(count()).toBe(0);
      await store.flushed();
      expect(count()).toBe(2);
      // No batch open: flushed resolves at once, and writes commit one by one as before.
      await store.flushed();
      expect(await store.claimRequest("slack:T1:c", 4, 0)).toBe(true);
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
    await store.claimRequest("slack:T1:closing", 1, 0);
    store.close();
    const again = new SqliteStore(path);
    try {
      expect(await again.claimRequest("slack:T1:closing", 2, 0)).toBe(false);
    } finally {
      again.close();
    }
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
