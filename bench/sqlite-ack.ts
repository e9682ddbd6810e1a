import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteRecoveryStore } from "../src/node/recovery-store.ts";
import { SqliteStore } from "../src/node/sqlite-store.ts";

/**
 * What the triage ack's durable write costs on its own: the store calls a `/openclaw triage`
 * makes (the request identity, the host row, the job, the audit row) through the real
 * SqliteStore and its group commit, N acks per commit, on a file database that already holds
 * 5,000 jobs. No HTTP, no signature: the µs per ack the store takes.
 *
 *   node bench/sqlite-ack.ts            (Node 24: `npx node bench/sqlite-ack.ts`)
 */
const ACKS = 20_000;
const rnd = () => crypto.randomUUID().replace(/-/g, "");

async function perAck(perCommit: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-sqlite-ack-"));
  const store = new SqliteStore(join(dir, "clawops.sqlite"));
  const audit = new SqliteRecoveryStore(store.db);
  try {
    const now = Date.now();
    await store.insertHost({
      name: "node-3",
      publicKey: "k",
      enrolledAt: now,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
    const ack = async (status: "running" | "done") => {
      const key = `slack:T0001:${rnd()}`;
      const at = Date.now();
      await store.claim(key, at, at + 600_000);
      await store.getHost("node-3");
      await store.createJob({
        id: `job_${rnd().slice(0, 20)}`,
        host: "node-3",
        kind: "triage",
        status,
        requestKey: key,
        channel: "C0INCIDENT",
        user: "U0ONCALL",
        threadTs: null,
        progressTs: null,
        resultTs: null,
        createdAt: at,
        finishedAt: null,
        results: [],
        detail: null,
      });
      await audit.appendAudit({
        at,
        actor: "U0ONCALL",
        source: "slack",
        action: "command",
        host: "node-3",
        outcome: "ok",
        detail: "/openclaw triage node-3",
        ref: null,
      });
    };
    for (let i = 0; i < 5_000; i += 100) {
      store.beginBatch();
      for (let j = 0; j < 100; j++) await ack("done");
      await store.flushed();
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ACKS; i += perCommit) {
      store.beginBatch();
      for (let j = 0; j < perCommit; j++) await ack("running");
      await store.flushed();
    }
    return Number(process.hrtime.bigint() - t0) / 1000 / ACKS;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = ["| acks per commit | µs per ack |", "|---|---|"];
for (const n of [1, 2, 4, 7, 20]) lines.push(`| ${n} | ${(await perAck(n)).toFixed(1)} |`);
process.stdout.write(`${lines.join("\n")}\n`);
