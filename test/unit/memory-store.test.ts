import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { LIST_JOBS_SQL } from "../../src/adapters/sql/state-store.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { ENROLLMENT_CODE_TTL_MS, enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { HostRecord, JobRecord, Store } from "../../src/core/ports/store.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * One contract, two stores: the in-memory store (unit tests; its incident books are the SQLite
 * store's own on an in-memory database) must behave like the SQLite store the Node runtime keeps
 * its state in, so each case runs against both.
 */
const T0 = 1_790_000_000_000;

function host(name: string, overrides: Partial<HostRecord> = {}): HostRecord {
  return {
    name,
    publicKey: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
    enrolledAt: T0,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
    ...overrides,
  };
}

function job(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    host: "node-3",
    kind: "triage",
    status: "running",
    requestKey: `slack:T0001:${id}`,
    channel: "C0INCIDENT",
    user: "U0OPERATOR",
    threadTs: null,
    progressTs: null,
    resultTs: null,
    createdAt: T0,
    finishedAt: null,
    results: [],
    detail: null,
    ...overrides,
  };
}

const versionsResult = (agent: string): StepResult => ({
  step: "versions",
  status: "ok",
  durationMs: 12,
  data: { agent, openclaw: "2026.9.6", os: "linux", node: "24.21.0" },
});

const open: SqliteStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const stores: [string, () => Store][] = [
  ["InMemoryStore", () => new InMemoryStore()],
  [
    "SqliteStore",
    () => {
      const s = new SqliteStore(":memory:");
      open.push(s);
      return s;
    },
  ],
];

describe.each(stores)("%s", (_name, makeStore) => {
  describe("jobs", () => {
    it("creates a job once per request key and hands back the stored one on a retry", async () => {
      const store = makeStore();
      const first = await store.createJob(job("job_a", { requestKey: "slack:T0001:trigger-1" }));
      expect(first).toMatchObject({ created: true, job: { id: "job_a" } });

      // A Slack retry carries the same trigger_id but gets a fresh job id from the handler.
      const retry = await store.createJob(job("job_b", { requestKey: "slack:T0001:trigger-1", createdAt: T0 + 5 }));
      expect(retry.created).toBe(false);
      expect(retry.job).toMatchObject({ id: "job_a", createdAt: T0, status: "running" });
      expect(await store.getJob("job_b")).toBeNull();
      expect((await store.listJobs({})).map((j) => j.id)).toEqual(["job_a"]);
    });

    it("lets exactly one of two concurrent requests with one key create the job", async () => {
      const store = makeStore();
      const key = "slack:T0001:trigger-race";
      const results = await Promise.all([
        store.createJob(job("job_x", { requestKey: key })),
        store.createJob(job("job_y", { requestKey: key })),
      ]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)?.job.id;
      expect(results.map((r) => r.job.id)).toEqual([winner, winner]);
      expect(await store.listJobs({})).toHaveLength(1);
    });

    it("applies patches and keeps one result per step, a resent one replacing the first", async () => {
      const store = makeStore();
      await store.createJob(job("job_a"));
      await store.updateJob("job_a", { threadTs: "1790000000.000100", progressTs: "1790000000.000200" });
      await store.appendJobResult("job_a", versionsResult("0.1.0"));
      await store.appendJobResult("job_a", { step: "tokens", status: "timeout", durationMs: 5000 });
      await store.appendJobResult("job_a", versionsResult("0.1.1"));
      await store.updateJob("job_a", { status: "done", finishedAt: T0 + 9_000, detail: null });

      const stored = await store.getJob("job_a");
      expect(stored).toMatchObject({
        status: "done",
        threadTs: "1790000000.000100",
        progressTs: "1790000000.000200",
        finishedAt: T0 + 9_000,
      });
      expect(stored?.results).toHaveLength(2);
      expect(stored?.results.find((r) => r.step === "versions")).toEqual(versionsResult("0.1.1"));
    });

    it("hands out copies: changing a returned job changes nothing stored", async () => {
      const store = makeStore();
      const { job: created } = await store.createJob(job("job_a"));
      created.status = "lost";
      const fetched = await store.getJob("job_a");
      if (!fetched) throw new Error("job_a missing");
      fetched.status = "timeout";
      fetched.results.push(versionsResult("mutated"));
      expect(await store.getJob("job_a")).toMatchObject({ status: "running", results: [] });
    });

    it("lists newest first, filtered by status and host, up to the limit", async () => {
      const store = makeStore();
      await store.createJob(job("job_1", { createdAt: T0 + 1 }));
      await store.createJob(job("job_2", { createdAt: T0 + 2, host: "node-4" }));
      await store.createJob(job("job_3", { createdAt: T0 + 3 }));
      await store.updateJob("job_1", { status: "done" });
      expect((await store.listJobs({})).map((j) => j.id)).toEqual(["job_3", "job_2", "job_1"]);
      expect((await store.listJobs({ status: "running" })).map((j) => j.id)).toEqual(["job_3", "job_2"]);
      expect((await store.listJobs({ host: "node-3" })).map((j) => j.id)).toEqual(["job_3", "job_1"]);
      expect((await store.listJobs({ limit: 1 })).map((j) => j.id)).toEqual(["job_3"]);
    });
  });

  describe("enrollment codes", () => {
    const code = { codeHash: "hash-1", host: "node-3", createdAt: T0, expiresAt: T0 + ENROLLMENT_CODE_TTL_MS };

    it("are consumed once", async () => {
      const store = makeStore();
      await store.insertEnrollmentCode(code);
      expect(await store.consumeEnrollmentCode("hash-1", T0 + 1_000)).toEqual({ host: "node-3" });
      expect(await store.consumeEnrollmentCode("hash-1", T0 + 2_000)).toBeNull();
      expect(await store.consumeEnrollmentCode("hash-unknown", T0 + 2_000)).toBeNull();
    });

    it("are consumed once even by two concurrent enrollments", async () => {
      const store = makeStore();
      await store.insertEnrollmentCode(code);
      const claims = await Promise.all([
        store.consumeEnrollmentCode("hash-1", T0 + 1),
        store.consumeEnrollmentCode("hash-1", T0 + 1),
      ]);
      expect(claims.filter((c) => c !== null)).toEqual([{ host: "node-3" }]);
    });

    it("expire at expiresAt, and an expired code stays unusable", async () => {
      const store = makeStore();
      await store.insertEnrollmentCode(code);
      expect(await store.consumeEnrollmentCode("hash-1", code.expiresAt)).toBeNull();
      expect(await store.consumeEnrollmentCode("hash-1", code.expiresAt - 1)).toEqual({ host: "node-3" });

      await store.insertEnrollmentCode({ ...code, codeHash: "hash-2" });
      expect(await store.consumeEnrollmentCode("hash-2", code.expiresAt + 60_000)).toBeNull();
    });
  });

  describe("hosts", () => {
    it("refuse a second enrollment of a live host, and allow one after revocation", async () => {
      const store = makeStore();
      const original = host("node-3", { agentVersion: null });
      expect(await store.insertHost(original)).toBe(true);
      await store.recordHostSeen("node-3", { at: T0 + 10, agentVersion: "0.1.0", gatewayVersion: "2026.9.6" });
      expect(await store.insertHost(host("node-3"))).toBe(false);
      expect((await store.getHost("node-3"))?.publicKey).toBe(original.publicKey);

      expect(await store.revokeHost("node-3", T0 + 20)).toBe(true);
      expect(await store.revokeHost("node-3", T0 + 30)).toBe(false);
      expect(await store.revokeHost("node-9", T0 + 30)).toBe(false);
      expect((await store.getHost("node-3"))?.revokedAt).toBe(T0 + 20);

      const rekeyed = host("node-3", { enrolledAt: T0 + 40 });
      expect(await store.insertHost(rekeyed)).toBe(true);
      expect(await store.getHost("node-3")).toEqual({
        name: "node-3",
        publicKey: rekeyed.publicKey,
        enrolledAt: T0 + 40,
        revokedAt: null,
        lastSeenAt: null,
        // The last versions the agent reported stay until it reports again.
        agentVersion: "0.1.0",
        gatewayVersion: "2026.9.6",
      });
    });

    it("record sightings, keeping known versions when the agent reports none", async () => {
      const store = makeStore();
      await store.insertHost(host("node-3"));
      await store.recordHostSeen("node-3", { at: T0 + 1, agentVersion: "0.1.0", gatewayVersion: "2026.9.6" });
      await store.recordHostSeen("node-3", { at: T0 + 2 });
      await store.recordHostSeen("node-9", { at: T0 + 3 });
      expect(await store.getHost("node-3")).toMatchObject({
        lastSeenAt: T0 + 2,
        agentVersion: "0.1.0",
        gatewayVersion: "2026.9.6",
      });
      expect(await store.getHost("node-9")).toBeNull();
    });

    it("list by name", async () => {
      const store = makeStore();
      for (const name of ["node-3", "edge-1", "node-10"]) await store.insertHost(host(name));
      expect((await store.listHosts()).map((h) => h.name)).toEqual(["edge-1", "node-10", "node-3"]);
    });
  });

  describe("incidents", () => {
    it("keep the first thread per channel and host", async () => {
      const store = makeStore();
      const first = { id: "inc_1", channel: "C0INCIDENT", host: "node-3", threadTs: "1790000000.000100", openedAt: T0 };
      await store.insertIncident(first);
      await store.insertIncident({ ...first, id: "inc_2", threadTs: "1790000000.000999" });
      expect(await store.findIncident("C0INCIDENT", "node-3")).toEqual(first);
      expect(await store.findIncident("C0OTHER", "node-3")).toBeNull();
    });
  });

  describe("with the enrollment service", () => {
    it("enrolls with a code once, and re-enrolls a revoked host with a new code and key", async () => {
      const store = makeStore();
      let now = T0;
      const deps = { store, clock: { now: () => now } };
      const key1 = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
      const key2 = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));

      const issued = await issueEnrollmentCode(deps, "node-3");
      await expect(enrollHost(deps, { code: issued.code, host: "node-3", publicKey: key1 })).resolves.toEqual({
        host: "node-3",
      });
      await expect(enrollHost(deps, { code: issued.code, host: "node-3", publicKey: key2 })).rejects.toMatchObject({
        code: "enrollment_code_invalid",
      });
      await expect(issueEnrollmentCode(deps, "node-3")).rejects.toMatchObject({ code: "host_exists" });

      now += 60_000;
      await store.revokeHost("node-3", now);
      const late = await issueEnrollmentCode(deps, "node-3");
      now += ENROLLMENT_CODE_TTL_MS;
      await expect(enrollHost(deps, { code: late.code, host: "node-3", publicKey: key2 })).rejects.toMatchObject({
        code: "enrollment_code_invalid",
      });

      const fresh = await issueEnrollmentCode(deps, "node-3");
      await expect(enrollHost(deps, { code: fresh.code, host: "node-3", publicKey: key2 })).resolves.toEqual({
        host: "node-3",
      });
      expect(await store.getHost("node-3")).toMatchObject({ publicKey: key2, revokedAt: null, enrolledAt: now });
    });
  });
});

/** A SqliteStore opened on a file an older version left (made with `sql`), removed after `use`. */
async function onOlderDatabase(sql: string, use: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-store-"));
  const path = join(dir, "clawops.sqlite");
  const old = new DatabaseSync(path);
  old.exec(sql);
  old.close();
  const store = new SqliteStore(path);
  try {
    await use(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("SqliteStore on a database from an older version", () => {
  it("adds the tags column and keeps the hosts it had", async () => {
    await onOlderDatabase(
      `CREATE TABLE hosts (
      name TEXT PRIMARY KEY, public_key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER,
      agent_version TEXT, gateway_version TEXT, last_seen_at INTEGER);
      INSERT INTO hosts VALUES ('node-3', 'k', 1, NULL, '0.1.0', '2026.9.6', 5);`,
      async (store) => {
        expect(await store.getHost("node-3")).toMatchObject({ publicKey: "k", gatewayVersion: "2026.9.6" });
        expect(await store.setHostTags("node-3", ["prod"])).toBe(true);
        expect((await store.getHost("node-3"))?.tags).toEqual(["prod"]);
      },
    );
  });
});

describe("SqliteStore: listing jobs stays cheap as the table grows", () => {
  // /readyz asks for the newest job on every probe; `jobs` and a restart list them too.
  it("reads the newest jobs through an index, not a sort of the whole table, and drops the index no query used", async () => {
    await onOlderDatabase(
      `CREATE TABLE jobs (
      id TEXT PRIMARY KEY, host TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, request_key TEXT NOT NULL UNIQUE,
      channel TEXT NOT NULL, user TEXT NOT NULL, thread_ts TEXT, progress_ts TEXT, result_ts TEXT, created_at INTEGER NOT NULL,
      finished_at INTEGER, detail TEXT);
      CREATE INDEX jobs_status ON jobs (status);`,
      async (store) => {
        for (let i = 0; i < 3; i++) await store.createJob(job(`job_${i}`, { requestKey: `r${i}`, createdAt: T0 + i }));
        expect((await store.listJobs({ limit: 2 })).map((j) => j.id)).toEqual(["job_2", "job_1"]);
        const plan = store.db
          .prepare(`EXPLAIN QUERY PLAN ${LIST_JOBS_SQL}`)
          .all(null, null, 1)
          .map((r) => String(r.detail));
        expect(plan).toEqual(["SCAN jobs USING INDEX jobs_created"]);
        const indexes = store.db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'")
          .all();
        expect(indexes.map((r) => r.name)).not.toContain("jobs_status");
      },
    );
  });
});
