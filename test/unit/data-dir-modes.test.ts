import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/node/sqlite-store.ts";

/** Issue 15, item 9: the SQLite state (enrolled keys, jobs, audit) was world-readable (0644). */
const mode = (path: string) => statSync(path).mode & 0o777;

describe("data folder file modes", () => {
  const dirs: string[] = [];
  const oldUmask = process.umask(0o022);
  afterEach(() => {
    process.umask(oldUmask);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("creates the data folder 0700 and the database and its WAL 0600 under a 022 umask", async () => {
    process.umask(0o022);
    const root = mkdtempSync(join(tmpdir(), "clawops-modes-"));
    dirs.push(root);
    const dataDir = join(root, "data");
    const path = join(dataDir, "clawops.sqlite");
    const store = new SqliteStore(path);
    await store.insertHost({
      name: "node-1",
      publicKey: "k",
      enrolledAt: 1,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
    store.close();
  });

  it("tightens a database left 0644 by an older version", () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-modes-"));
    dirs.push(root);
    const path = join(root, "clawops.sqlite");
    new SqliteStore(path).close();
    chmodSync(path, 0o644);
    new SqliteStore(path).close();
    expect(mode(path)).toBe(0o600);
  });
});
