import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { runCliProcess } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";

/**
 * Issue 32, item 9, against `npm start` in its own process and a real SQLite file: another
 * connection holding the write lock makes commands answer "busy, try again" (503
 * `database_busy`, not a bare 500) and /readyz say busy, until it lets go; `clawops backup
 * <file>` copies the database while the control plane runs, and the copy opens and holds the
 * data; a damaged database stops the start with a message naming the latest backup and how to
 * restore it, and so does one emptied to 0 bytes where the backup ledger shows there was history
 * (issue 44, item 2).
 */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function start(dataDir?: string): Promise<ControlPlaneProcess> {
  const cp = await spawnControlPlane({ CLAWOPS_LOCAL_AGENT: "0" }, dataDir ? { dataDir, keepData: true } : {});
  cleanup.push(() => cp.stop());
  return cp;
}

function cli(cp: { url: string; dataDir: string }, args: string[]) {
  return runCliProcess(args, { server: cp.url, dataDir: cp.dataDir });
}

async function command(cp: ControlPlaneProcess, text: string) {
  const res = await fetch(`${cp.url}/api/console/command`, {
    method: "POST",
    headers: { "content-type": "application/json", ...cp.consoleHeaders() },
    body: JSON.stringify({ text }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe("the database, operated (node:sqlite, a real file)", () => {
  it("another writer holding the lock: commands answer busy, try again; /readyz says busy; both recover", async () => {
    const cp = await start();
    const other = new DatabaseSync(join(cp.dataDir, "clawops.sqlite"));
    cleanup.push(() => other.close());
    other.exec("BEGIN IMMEDIATE");
    const busy = await command(cp, "enroll node-busy");
    expect(busy.status).toBe(503);
    expect(busy.body.error?.code).toBe("database_busy");
    expect(busy.body.error?.message).toMatch(
      /^The database is busy: another process holds the write lock of .*clawops\.sqlite, so nothing was changed\. Try again in a few seconds/,
    );
    const ready = await fetch(`${cp.url}/readyz`);
    expect(ready.status).toBe(503);
    const readyBody = (await ready.json()) as { checks: Record<string, string>; error: { message: string } };
    expect(readyBody.checks.store).toBe("busy");
    expect(readyBody.error.message).toContain("store busy (another process holds the database's write lock");
    // The CLI prints the same words, not "internal error".
    const viaCli = await cli(cp, ["enroll", "node-busy"]);
    expect(viaCli.stderr).toContain("The database is busy");
    other.exec("ROLLBACK");
    expect((await fetch(`${cp.url}/readyz`)).status).toBe(200);
    const after = await command(cp, "enroll node-busy");
    expect(after.status).toBe(200);
    expect(JSON.stringify(after.body)).toContain("node-busy");
  }, 60_000);

  it("`clawops backup <file>` copies the running database; the copy opens and holds the data", async () => {
    const cp = await start();
    expect((await command(cp, "enroll node-kept")).status).toBe(200);
    const target = join(cp.dataDir, "..", `clawops-backup-${process.pid}-${Date.now()}.sqlite`);
    cleanup.push(() => rmSync(target, { force: true }));
    const run = await cli(cp, ["backup", target]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/backed up the database to .* \(\d+ bytes, backup-api\)/);
    // The control plane kept answering meanwhile, and still does.
    expect((await fetch(`${cp.url}/readyz`)).status).toBe(200);
    const copy = new DatabaseSync(target, { readOnly: true });
    try {
      expect(copy.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      expect(copy.prepare("SELECT host FROM enrollment_codes").all()).toEqual([{ host: "node-kept" }]);
      const audit = copy.prepare("SELECT action FROM audit_log").all() as { action: string }[];
      expect(audit.map((a) => a.action)).toContain("command");
      expect((copy.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      copy.close();
    }
    // Never over an existing file.
    const again = await cli(cp, ["backup", target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists: name a new file");
  }, 60_000);

  it("`clawops backup` writes only its one file, mode 0600: no -wal or -shm beside it", async () => {
    // Issue 44, item 5: the copy (a WAL-mode database) was checked through a read-only connection,
    // which left `-wal` and `-shm` files beside it, 0644 under a 0022 umask.
    const cp = await start();
    expect((await command(cp, "enroll node-kept")).status).toBe(200);
    const folder = mkdtempSync(join(tmpdir(), "clawops-backups-"));
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    const target = join(folder, "nightly.sqlite");
    const run = await cli(cp, ["backup", target]);
    expect(run.code).toBe(0);
    const files = readdirSync(folder).map((f) => `${f} ${(statSync(join(folder, f)).mode & 0o777).toString(8)}`);
    expect(files).toEqual(["nightly.sqlite 600"]);
    // And the copy is whole on its own (no WAL needed to read it).
    const copy = new DatabaseSync(target, { readOnly: true });
    try {
      expect(copy.prepare("SELECT host FROM enrollment_codes").all()).toEqual([{ host: "node-kept" }]);
    } finally {
      copy.close();
    }
    expect(readdirSync(folder)).toEqual(["nightly.sqlite"]);
  }, 60_000);

  it("a damaged database stops the start naming the latest backup and how to restore it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "clawops-damaged-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await start(dataDir);
    expect((await command(first, "enroll node-saved")).status).toBe(200);
    const backup = join(dataDir, "nightly.sqlite");
    expect((await cli(first, ["backup", backup])).code).toBe(0);
    await first.stop();
    // Damage it as a disk or a bad copy would: the schema page overwritten.
    const path = join(dataDir, "clawops.sqlite");
    for (const f of [`${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(3000, 0xa5), 0, 3000, 100);
    closeSync(fd);
    const failed = await spawnControlPlane({ CLAWOPS_LOCAL_AGENT: "0" }, { dataDir, keepData: true }).then(
      async (cp) => {
        await cp.stop();
        return "";
      },
      (err: Error) => err.message,
    );
    expect(failed).toContain(`The database ${path} is damaged (`);
    expect(failed).toContain(`To restore the latest backup, ${backup}`);
    expect(failed).toContain(`cp ${backup} ${path}`);
    // Following the message brings it back.
    rmSync(path);
    copyFileSync(backup, path);
    const restored = await start(dataDir);
    expect(JSON.stringify((await command(restored, "enroll node-saved")).body)).toContain("node-saved");
    expect(existsSync(backup)).toBe(true);
  }, 90_000);

  it("a database emptied to 0 bytes where backups.jsonl shows history stops the start naming the backup to restore", async () => {
    // Issue 44, item 2: truncated to 0 bytes, it started silently as a new database (audit log and
    // every host's enrollment gone) although the data folder's ledger recorded a backup of it.
    const dataDir = mkdtempSync(join(tmpdir(), "clawops-emptied-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await start(dataDir);
    expect((await command(first, "enroll node-kept")).status).toBe(200);
    const backup = join(dataDir, "nightly.sqlite");
    expect((await cli(first, ["backup", backup])).code).toBe(0);
    await first.stop();
    const path = join(dataDir, "clawops.sqlite");
    for (const f of [`${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    truncateSync(path, 0);
    const failed = await spawnControlPlane({ CLAWOPS_LOCAL_AGENT: "0" }, { dataDir, keepData: true }).then(
      async (cp) => {
        await cp.stop();
        return "";
      },
      (err: Error) => err.message,
    );
    expect(failed).toContain(`The database ${path} is empty (0 bytes), but ${join(dataDir, "backups.jsonl")} records`);
    expect(failed).toContain(`To restore the latest backup, ${backup}`);
    expect(failed).toContain(`cp ${backup} ${path}`);
    // Nothing was written over the evidence: the file is still the empty one.
    expect(statSync(path).size).toBe(0);
    // Following the message brings the history back.
    copyFileSync(backup, path);
    const restored = await start(dataDir);
    const audit = await fetch(`${restored.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...restored.consoleHeaders() },
      body: JSON.stringify({ text: "enroll node-kept" }),
    });
    expect(audit.status).toBe(200);
    await restored.stop();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const hosts = db.prepare("SELECT host FROM enrollment_codes ORDER BY host").all() as { host: string }[];
      expect(hosts.map((h) => h.host)).toEqual(["node-kept", "node-kept"]);
    } finally {
      db.close();
    }
  }, 90_000);

  it("an empty file with no recorded backup is a new install: it starts", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "clawops-fresh-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // What a first start (or a service manager) may leave: the file made, nothing in it yet.
    closeSync(openSync(join(dataDir, "clawops.sqlite"), "w", 0o600));
    const cp = await start(dataDir);
    expect((await command(cp, "enroll node-new")).status).toBe(200);
  }, 60_000);
});
