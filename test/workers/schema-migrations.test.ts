import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RECOVERY_MIGRATIONS, SqlRecoveryStore } from "../../src/adapters/sql/recovery-store.ts";
import { STATE_MIGRATIONS } from "../../src/adapters/sql/state-store.ts";
import { DurableObjectSqlStore, durableObjectSqlDriver } from "../../src/worker/do-sql-store.ts";
import { A3938BF_RECOVERY_SCHEMA, A3938BF_STATE_SCHEMA } from "../support/schema-a3938bf.ts";

/**
 * Issue 32, item 9, in workerd: the directory object's SQLite (Durable Object storage) takes the
 * same numbered migrations as node:sqlite. An object holding a3938bf's schema (verbatim,
 * test/support/schema-a3938bf.ts) and rows is migrated, its rows still read, and the ledger
 * records each step once; one that recorded a migration this code does not know is refused.
 */
function directory(name: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(name));
}

/** Empties an object's storage as if it had been made by a3938bf, with a few rows. */
function asA3938bf(sql: SqlStorage): void {
  const objects = sql
    .exec<{ type: string; name: string }>(
      "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
    )
    .toArray();
  for (const o of objects) sql.exec(`DROP ${o.type === "view" ? "VIEW" : "TABLE"} IF EXISTS ${o.name}`);
  sql.exec(A3938BF_STATE_SCHEMA);
  sql.exec(A3938BF_RECOVERY_SCHEMA);
  sql.exec(
    "INSERT INTO hosts (name, public_key, enrolled_at, agent_version, tags) VALUES ('node-1', 'pk1', 1000, '0.9.0', '[\"edge\"]')",
  );
  sql.exec(
    "INSERT INTO freezes (target, owner, reason, source, created_at, expires_at, channel, notices) VALUES ('node-1', 'U1', 'maintenance', 'slack', 1000, 9999999999999, 'C1', '[]')",
  );
  sql.exec(
    "INSERT INTO confirmations (id, host, step, action, job, requested_by, channel, created_at, expires_at) VALUES ('conf_1', 'node-1', 'gateway.restart', 'restart', 'job_1', 'U1', 'C1', 1000, 2000)",
  );
}

describe("numbered schema migrations in a Durable Object", () => {
  it("migrates an object made by a3938bf; its rows still read; each step recorded once", async () => {
    await runInDurableObject(directory("migrate-a3938bf"), async (_i, state) => {
      const sql = state.storage.sql;
      asA3938bf(sql);
      const store = new DurableObjectSqlStore(state.storage);
      const recovery = new SqlRecoveryStore(durableObjectSqlDriver(state.storage, "test"));
      const ledger = () =>
        sql
          .exec<{ schema: string; id: number }>("SELECT schema, id FROM schema_migrations ORDER BY schema, id")
          .toArray();
      expect(ledger()).toEqual([
        ...RECOVERY_MIGRATIONS.migrations.map((m) => ({ schema: "recovery", id: m.id })),
        ...STATE_MIGRATIONS.migrations.map((m) => ({ schema: "state", id: m.id })),
      ]);
      expect(await store.getHost("node-1")).toMatchObject({ agentVersion: "0.9.0", tags: ["edge"] });
      expect(await recovery.getFreeze("node-1")).toMatchObject({ owner: "U1", reason: "maintenance" });
      expect(await recovery.getConfirmation("conf_1")).toMatchObject({ offersDrain: false });
      // The incident records a3938bf did not have.
      expect(await store.listIncidents({})).toEqual([]);
      // Nor its tickets (state migration 7).
      expect(await store.findOpenTicket("node-1", "token-drift")).toBeNull();
      // The next construction applies nothing.
      new DurableObjectSqlStore(state.storage);
      expect(ledger()).toHaveLength(RECOVERY_MIGRATIONS.migrations.length + STATE_MIGRATIONS.migrations.length);
    });
  });

  it("refuses an object written by a newer clawops", async () => {
    await runInDurableObject(directory("migrate-newer"), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO schema_migrations (schema, id, name, applied_at) VALUES ('state', 77, 'from the future', 0)",
      );
      expect(() => new DurableObjectSqlStore(state.storage)).toThrow(
        /the directory object's SQLite was written by a newer clawops: its state schema is at migration 77/,
      );
    });
  });
});
