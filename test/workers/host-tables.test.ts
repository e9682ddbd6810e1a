import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobResultFrame } from "../../src/contract/agent-wire.ts";
import { SqlEarlyResults } from "../../src/worker/host/early-results.ts";
import { RecoverClaim } from "../../src/worker/host/recover-claim.ts";
import { HostStore, migrateHostTables } from "../../src/worker/host/store.ts";
import { collectingLogger } from "../support/loggers.ts";

/**
 * A host object's SQLite tables in workerd (the real `HostAgent` object's storage): the check
 * run at every construction creates what is missing and moves an old object's triage queue;
 * results kept for no pending job are found by their job's re-run exactly once; the recover
 * claim holds one run at a time.
 */
function hostObject(name: string) {
  return env.HOSTS.get(env.HOSTS.idFromName(name));
}

function tables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
    .toArray()
    .map((t) => t.name)
    .sort();
}

const result = (jobId: string): JobResultFrame => ({ type: "job.result", jobId, status: "done", results: [] });

describe("host object tables", () => {
  it("creates a missing table and moves an old object's queued triages to the job queue", async () => {
    await runInDurableObject(hostObject("tables-old"), (_i, state) => {
      const sql = state.storage.sql;
      // As an object from before bundles, the watch and the migrations ledger: its triage queue,
      // no job queue, no watch table, nothing recorded.
      sql.exec("DROP TABLE IF EXISTS job_queue");
      sql.exec("DROP TABLE IF EXISTS host_watch");
      sql.exec("DROP TABLE IF EXISTS schema_migrations");
      sql.exec("CREATE TABLE triage_queue (job_id TEXT PRIMARY KEY, enqueued_at INTEGER NOT NULL)");
      sql.exec("INSERT INTO triage_queue (job_id, enqueued_at) VALUES ('job_old', 42)");
      expect(migrateHostTables(state.storage)).toEqual([1, 2]);
      expect(tables(sql)).toEqual(["early_results", "host_watch", "job_queue", "recover_claim", "schema_migrations"]);
      expect(sql.exec("SELECT job_id, run, enqueued_at FROM job_queue").toArray()).toEqual([
        { job_id: "job_old", run: '{"kind":"triage"}', enqueued_at: 42 },
      ]);
      // Run again (the next construction): nothing to apply, nothing written.
      const written = sql.databaseSize;
      expect(migrateHostTables(state.storage)).toEqual([]);
      expect(sql.exec("SELECT COUNT(*) AS n FROM job_queue").one().n).toBe(1);
      expect(sql.databaseSize).toBe(written);
    });
  });

  it("refuses an object written by a newer clawops, naming both versions", async () => {
    await runInDurableObject(hostObject("tables-newer"), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO schema_migrations (schema, id, name, applied_at) VALUES ('host', 99, 'from the future', 0)",
      );
      expect(() => migrateHostTables(state.storage, "node-9")).toThrow(
        /host object's SQLite \(node-9\) was written by a newer clawops: its host schema is at migration 99, and this version knows migrations up to 2/,
      );
    });
  });

  it("gives a kept result to its job once, to no other job, and keeps it across instances", async () => {
    await runInDurableObject(hostObject("tables-early"), (_i, state) => {
      const first = new SqlEarlyResults(new HostStore(state.storage.sql).earlyResults);
      expect(first.take("job_a")).toBeNull();
      expect(first.nextExpiry()).toBeNull();
      first.keep(result("job_a"), 1_000);
      first.keep(result("job_b"), 2_000);
      expect(first.take("job_c")).toBeNull();
      expect(first.take("job_a")).toEqual(result("job_a"));
      expect(first.take("job_a")).toBeNull();
      // A new instance of the object (after a reset) finds what the last one kept.
      const next = new SqlEarlyResults(new HostStore(state.storage.sql).earlyResults);
      expect(next.nextExpiry()).toBe(2_000 + 10 * 60_000);
      expect(next.take("job_b")).toEqual(result("job_b"));
      expect(next.take("job_b")).toBeNull();
      expect(next.nextExpiry()).toBeNull();
    });
  });

  it("holds the recover claim for one run at a time, takes it over from an ended run, and gives it back", async () => {
    await runInDurableObject(hostObject("tables-claim"), async (_i, state) => {
      const live = new Set(["run_a"]);
      const logger = collectingLogger();
      const claimOf = () =>
        new RecoverClaim(new HostStore(state.storage.sql).recoverClaim, async (r) => live.has(r), logger);
      const claim = claimOf();
      expect(await claim.running(60_000)).toBeNull();
      expect(await claim.claim("run_a", 60_000)).toBeNull();
      // Held: a young claim, and an older one while its run is live.
      expect(await claim.claim("run_b", 60_000)).toBe("run_a");
      expect(await claim.claim("run_b", 0)).toBe("run_a");
      expect(await claim.running(0)).toBe("run_a");
      expect(logger.messages("warn")).toEqual([]);
      // Its run ended without giving it back: taken over, and said so.
      live.clear();
      expect(await claim.running(0)).toBeNull();
      expect(await claim.claim("run_b", 0)).toBeNull();
      expect(logger.messages("warn")).toEqual(["recover claim taken over from an ended run"]);
      // A new instance of the object finds the claim; only its holder gives it back.
      const next = claimOf();
      expect(await next.running(60_000)).toBe("run_b");
      next.release("run_a");
      expect(await next.running(60_000)).toBe("run_b");
      next.release("run_b");
      expect(await next.running(60_000)).toBeNull();
      expect(await next.claim("run_c", 60_000)).toBeNull();
    });
  });
});
