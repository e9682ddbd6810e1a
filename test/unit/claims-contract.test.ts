import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { InProcessTurns } from "../../src/core/jobs/turns.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { claimsContract, turnsContract } from "../support/claims-contract.ts";
import { InMemoryStore } from "../support/memory-store.ts";

const dir = mkdtempSync(join(tmpdir(), "clawops-claims-"));
const stores: SqliteStore[] = [];
afterAll(() => {
  for (const s of stores) s.close();
  rmSync(dir, { recursive: true, force: true });
});

claimsContract("SQLite (the state store on Node)", () => {
  const store = new SqliteStore(join(dir, `state-${stores.length}.sqlite`));
  stores.push(store);
  return store;
});
claimsContract("in memory (tests' InMemoryStore)", () => new InMemoryStore());
turnsContract("in process (InProcessTurns)", () => new InProcessTurns());

describe("claims on Node's SQLite", () => {
  it("are kept across a restart (a reopened database)", async () => {
    const path = join(dir, "restart.sqlite");
    const first = new SqliteStore(path);
    expect(await first.claim("slack:T1:trigger", 1_000, 601_000)).toBe(true);
    first.close();
    const again = new SqliteStore(path);
    stores.push(again);
    expect(await again.claim("slack:T1:trigger", 2_000, 602_000)).toBe(false);
  });
});

describe("migration 13: request identities become claims", () => {
  it("a request identity recorded before it is still refused after it, for a day from when it came", async () => {
    const path = join(dir, "before-13.sqlite");
    new SqliteStore(path).close();
    // The database as a release before migration 13 left it: a Slack trigger recorded in `requests`.
    const db = new DatabaseSync(path);
    db.exec("DELETE FROM schema_migrations WHERE schema = 'state' AND id = 13");
    db.prepare("INSERT INTO requests (key, at) VALUES (?, ?)").run("slack:T1:trigger", 1_000);
    db.close();
    const store = new SqliteStore(path);
    stores.push(store);
    expect(await store.claim("slack:T1:trigger", 2_000, 602_000)).toBe(false);
    expect(await store.claim("slack:T1:trigger", 1_000 + 86_400_000, 1_000 + 86_400_000 + 600_000)).toBe(true);
  });
});

describe("InProcessTurns", () => {
  it("counts the tasks of a key running or waiting (a host's jobs ahead of a new one)", async () => {
    const turns = new InProcessTurns();
    let open = () => {};
    const held = new Promise<void>((r) => {
      open = r;
    });
    const all = [turns.inTurn("a", () => held), turns.inTurn("a", async () => {}), turns.inTurn("b", async () => {})];
    expect(turns.depth("a")).toBe(2);
    expect(turns.busy).toBe(true);
    open();
    await Promise.all(all);
    await turns.idle();
    expect(turns.depth("a")).toBe(0);
    expect(turns.busy).toBe(false);
  });
});
