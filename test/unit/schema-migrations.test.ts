import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { RECOVERY_MIGRATIONS } from "../../src/adapters/sql/recovery-store.ts";
import { STATE_MIGRATIONS } from "../../src/adapters/sql/state-store.ts";
import { NO_COUNTS } from "../../src/core/ports/incident-book.ts";
import { SqliteRecoveryStore } from "../../src/node/recovery-store.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { A3938BF_CONSOLE_SCHEMA, A3938BF_RECOVERY_SCHEMA, A3938BF_STATE_SCHEMA } from "../support/schema-a3938bf.ts";

/**
 * Issue 32, item 9: numbered migrations recorded in the database (src/adapters/sql/migrations.ts)
 * on node:sqlite. A database made by a3938bf's code (its schema verbatim,
 * test/support/schema-a3938bf.ts) with rows in it is migrated at start and every row still reads;
 * a fresh one and a migrated one end with the same schema; a database that recorded a migration
 * this code does not know is refused with what to do.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "clawops-migrate-"));
  dirs.push(dir);
  return join(dir, "clawops.sqlite");
}

/** A database as a3938bf left it after a first start and some use. */
function a3938bfDatabase(path: string): void {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(A3938BF_STATE_SCHEMA);
  db.exec(A3938BF_CONSOLE_SCHEMA);
  db.exec(A3938BF_RECOVERY_SCHEMA);
  db.exec(`
    INSERT INTO hosts (name, public_key, enrolled_at, agent_version, last_seen_at, tags)
      VALUES ('node-1', 'pk1', 1000, '0.9.0', 2000, '["edge"]');
    INSERT INTO jobs (id, host, kind, status, request_key, channel, user, created_at)
      VALUES ('job_old', 'node-1', 'triage', 'done', 'slack:T1:r1', 'C1', 'U1', 1500);
    INSERT INTO job_results (job_id, step, result) VALUES ('job_old', 'versions', '{"step":"versions"}');
    INSERT INTO freezes (target, owner, reason, source, created_at, expires_at, channel, notices)
      VALUES ('node-1', 'U1', 'maintenance', 'slack', 1000, 9999999999999, 'C1', '[]');
    INSERT INTO audit_log (at, actor, source, action, host, outcome, detail) VALUES (1000, 'U1', 'slack', 'freeze', 'node-1', 'ok', 'held');
    INSERT INTO confirmations (id, host, step, action, job, requested_by, channel, created_at, expires_at)
      VALUES ('conf_1', 'node-1', 'gateway.restart', 'restart', 'job_old', 'U1', 'C1', 1000, 2000);
    INSERT INTO console_events (kind, channel, ts, thread_ts, text, blocks, at)
      VALUES ('post', 'console', '1.0001', NULL, 'hello', '{"text":"hello","parts":[]}', 1000);
  `);
  db.close();
}

/** Every table, index and trigger with its columns: what two databases are compared by. */
function schemaOf(path: string): string[] {
  const db = new DatabaseSync(path);
  try {
    const objects = db
      .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as { type: string; name: string; tbl_name: string }[];
    return objects.map((o) => {
      if (o.type !== "table") return `${o.type} ${o.name} on ${o.tbl_name}`;
      const cols = db.prepare(`PRAGMA table_info(${o.name})`).all() as {
        name: string;
        type: string;
        notnull: number;
      }[];
      return `table ${o.name} (${cols.map((c) => `${c.name} ${c.type}${c.notnull ? " NOT NULL" : ""}`).join(", ")})`;
    });
  } finally {
    db.close();
  }
}

function ledger(path: string): { schema: string; id: number }[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare("SELECT schema, id FROM schema_migrations ORDER BY schema, id").all() as {
      schema: string;
      id: number;
    }[];
  } finally {
    db.close();
  }
}

function open(path: string) {
  const store = new SqliteStore(path);
  const recovery = new SqliteRecoveryStore(store.db);
  return { store, recovery };
}

const ALL = [
  { schema: "console", id: 1 },
  ...RECOVERY_MIGRATIONS.migrations.map((m) => ({ schema: "recovery", id: m.id })),
  ...STATE_MIGRATIONS.migrations.map((m) => ({ schema: "state", id: m.id })),
];

describe("numbered schema migrations on node:sqlite", () => {
  it("a database made by a3938bf is migrated at start, and every row it held still reads", async () => {
    const path = tempDb();
    a3938bfDatabase(path);
    const { store, recovery } = open(path);
    expect(ledger(path)).toEqual(ALL);
    expect(await store.getHost("node-1")).toMatchObject({ name: "node-1", agentVersion: "0.9.0", tags: ["edge"] });
    expect((await store.listJobs({ limit: 5 })).map((j) => j.id)).toEqual(["job_old"]);
    const freeze = await recovery.getFreeze("node-1");
    expect(freeze).toMatchObject({ owner: "U1", reason: "maintenance" });
    expect(freeze?.auto).toBeUndefined();
    expect(await recovery.getConfirmation("conf_1")).toMatchObject({ host: "node-1", offersDrain: false });
    expect((await recovery.listAudit({ limit: 5 })).map((a) => a.action)).toEqual(["freeze"]);
    expect((await store.since(0)).map((e) => e.text)).toEqual(["hello"]);
    // What a3938bf did not have: the incident records (migration 4) take writes.
    await store.openIncident(
      {
        id: "inc_1",
        source: "command",
        state: "open",
        title: "node-1 down",
        hosts: ["node-1"],
        channel: "C1",
        threadTs: "1.0001",
        owner: null,
        openedAt: 3000,
        openedBy: "U1",
        updatedAt: 3000,
        resolvedAt: null,
        resolvedBy: null,
        phase: "failing",
        parentId: null,
        causes: ["alert:OpenClawGatewayDown"],
        counts: { ...NO_COUNTS, triages: 1 },
        lastSignalAt: 3000,
        headerAt: null,
        headerStale: false,
        severity: "sev3",
        acknowledgedAt: null,
        comms: null,
        scribe: null,
      },
      "node-1",
    );
    expect((await store.getIncident("inc_1"))?.title).toBe("node-1 down");
    // Migration 5's columns (the live header, grouping, counts) take writes too.
    expect((await store.countIncident("inc_1", { alerts: 2 }, 3500))?.counts).toMatchObject({ alerts: 2, triages: 1 });
    // Migration 7's tickets take writes: one open ticket per host and finding, linked to the incident.
    const ticket = {
      id: "tkt_1",
      incidentId: "inc_1",
      system: "jira" as const,
      key: "OPS-1",
      url: null,
      host: "node-1",
      finding: "token-drift",
      state: "open" as const,
      openedAt: 3600,
      openedBy: "U1",
      updatedAt: 3600,
      bundleId: null,
      keptUntil: null,
    };
    await store.insertTicket(ticket);
    expect((await store.insertTicket({ ...ticket, id: "tkt_2", key: "OPS-2" })).id).toBe("tkt_1");
    expect((await store.incidentTickets("inc_1")).map((t) => t.key)).toEqual(["OPS-1"]);
    // The audit log is still append-only after the migration.
    expect(() => store.db.exec("DELETE FROM audit_log")).toThrow(/append-only/);
    store.close();
  });

  it("a fresh database and a migrated one end with the same schema; a second start applies nothing", () => {
    const fresh = tempDb();
    open(fresh).store.close();
    const old = tempDb();
    a3938bfDatabase(old);
    open(old).store.close();
    expect(schemaOf(old)).toEqual(schemaOf(fresh));
    const before = ledger(fresh);
    open(fresh).store.close();
    expect(ledger(fresh)).toEqual(before);
  });

  it("refuses a database written by a newer clawops, saying which and what to do, and leaves it untouched", () => {
    const path = tempDb();
    open(path).store.close();
    const db = new DatabaseSync(path);
    db.exec("INSERT INTO schema_migrations (schema, id, name, applied_at) VALUES ('state', 42, 'from the future', 0)");
    db.close();
    const before = schemaOf(path);
    expect(() => new SqliteStore(path)).toThrow(
      new RegExp(
        `${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} was written by a newer clawops: its state schema is at migration 42, and this version knows migrations up to ${Math.max(...STATE_MIGRATIONS.migrations.map((m) => m.id))}\\. Run the newer clawops again, or restore a backup`,
      ),
    );
    expect(schemaOf(path)).toEqual(before);
  });

  it("a migration that fails applies nothing of that start and names the step", () => {
    const path = tempDb();
    a3938bfDatabase(path);
    // Something in the way of migration 4: a view with the incident table's name.
    const db = new DatabaseSync(path);
    db.exec("CREATE VIEW incident_records AS SELECT 1 AS id");
    db.close();
    expect(() => new SqliteStore(path)).toThrow(/state migration 4 \(incident records and their timelines\) failed/);
    const after = new DatabaseSync(path);
    const recorded = after.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").all();
    after.close();
    expect(recorded).toEqual([]);
  });
});
