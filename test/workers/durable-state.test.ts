import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../src/core/ports/store.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import worker from "../../src/worker/index.ts";
import { R2BlobStore } from "../../src/worker/r2-blob-store.ts";

/**
 * The Workers state behind the Store port: the directory Durable Object's SQLite, reached by
 * RPC exactly as the Worker and the host objects reach it; and the R2 bundle bucket.
 */
function job(id: string, requestKey: string): JobRecord {
  return {
    id,
    host: "node-7",
    kind: "triage",
    status: "running",
    requestKey,
    channel: "C1",
    user: "U1",
    threadTs: null,
    progressTs: null,
    resultTs: null,
    createdAt: 1_000,
    finishedAt: null,
    results: [],
    detail: null,
  };
}

describe("directory Durable Object (SQLite) behind the Store port", () => {
  it("consumes a one-time enrollment code once, and not after it expires", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    await store.insertEnrollmentCode({ codeHash: "h-once", host: "node-7", createdAt: 0, expiresAt: 10_000 });
    await store.insertEnrollmentCode({ codeHash: "h-expired", host: "node-8", createdAt: 0, expiresAt: 10_000 });
    expect(await store.consumeEnrollmentCode("h-once", 5_000)).toEqual({ host: "node-7" });
    expect(await store.consumeEnrollmentCode("h-once", 5_000)).toBeNull();
    expect(await store.consumeEnrollmentCode("h-expired", 10_000)).toBeNull();
  });

  it("enrolls a host once, re-enrolls it only after revocation, and records when it was seen", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const host = {
      name: "node-7",
      publicKey: "k1",
      enrolledAt: 1,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    };
    expect(await store.insertHost(host)).toBe(true);
    expect(await store.insertHost({ ...host, publicKey: "k2" })).toBe(false);
    await store.recordHostSeen("node-7", { at: 42, agentVersion: "0.1.0", gatewayVersion: "2026.9.6" });
    expect(await store.getHost("node-7")).toMatchObject({ publicKey: "k1", lastSeenAt: 42, agentVersion: "0.1.0" });
    expect(await store.revokeHost("node-7", 50)).toBe(true);
    expect(await store.insertHost({ ...host, publicKey: "k2" })).toBe(true);
    expect((await store.listHosts()).map((h) => [h.name, h.publicKey, h.revokedAt])).toEqual([["node-7", "k2", null]]);
  });

  it("keeps a host's tags for `status tag:<t>`", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const host = { name: "node-9", publicKey: "k9", enrolledAt: 1, revokedAt: null, agentVersion: null };
    expect(await store.insertHost({ ...host, gatewayVersion: null, lastSeenAt: null })).toBe(true);
    expect(await store.setHostTags("node-9", ["eu", "prod"])).toBe(true);
    expect((await store.getHost("node-9"))?.tags).toEqual(["eu", "prod"]);
    expect(await store.setHostTags("node-unknown", ["eu"])).toBe(false);
  });

  it("keeps one job per request key, with its streamed results and patches", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    expect((await store.createJob(job("job_a", "slack:T:1"))).created).toBe(true);
    const retry = await store.createJob(job("job_b", "slack:T:1"));
    expect(retry).toMatchObject({ created: false, job: { id: "job_a" } });
    await store.appendJobResult("job_a", {
      step: "config",
      status: "error",
      durationMs: 3,
      error: { code: "config_unreadable", message: "EACCES" },
    });
    await store.updateJob("job_a", { status: "done", finishedAt: 9, progressTs: "1.1" });
    const stored = await store.getJob("job_a");
    expect(stored).toMatchObject({ status: "done", finishedAt: 9, progressTs: "1.1" });
    expect(stored?.results.map((r) => r.step)).toEqual(["config"]);
    expect((await store.listJobs({ status: "done" })).map((j) => j.id)).toEqual(["job_a"]);
  });
});

describe("R2 bundle bucket", () => {
  const zip = new Uint8Array([0x50, 0x4b, 3, 4, 0, 255]);

  it("stores bytes with their content type and retention, and reads them back", async () => {
    const blobs = new R2BlobStore(env.BUNDLES);
    await blobs.put("bundle_a.zip", zip, { contentType: "application/zip", createdAt: 1_000, expiresAt: 9_000 });
    expect(await blobs.get("bundle_a.zip")).toEqual({
      bytes: zip,
      meta: {
        key: "bundle_a.zip",
        size: zip.byteLength,
        contentType: "application/zip",
        createdAt: 1_000,
        expiresAt: 9_000,
      },
    });
    expect(await blobs.get("bundle_missing.zip")).toBeNull();
    // Keys outside the bundle namespace are neither written nor read.
    await expect(blobs.put("../escape.zip", zip, { contentType: "x", createdAt: 0, expiresAt: 1 })).rejects.toThrow(
      /invalid blob key/,
    );
    expect(await blobs.get("../escape.zip")).toBeNull();
  });

  it("the Worker's cron trigger deletes bundles past their retention and keeps the rest", async () => {
    const blobs = new R2BlobStore(env.BUNDLES);
    const now = Date.now();
    await blobs.put("bundle_old.zip", zip, { contentType: "application/zip", createdAt: 0, expiresAt: now - 1 });
    await blobs.put("bundle_new.zip", zip, { contentType: "application/zip", createdAt: now, expiresAt: now + 60_000 });
    // Something else in the same bucket is not clawops' to delete.
    await env.BUNDLES.put("other-team/report.txt", "kept");
    const controller = createScheduledController({ scheduledTime: now, cron: "17 * * * *" });
    await worker.scheduled(controller, env);
    expect(await blobs.get("bundle_old.zip")).toBeNull();
    expect((await blobs.get("bundle_new.zip"))?.meta.expiresAt).toBe(now + 60_000);
    expect(await (await env.BUNDLES.get("other-team/report.txt"))?.text()).toBe("kept");
  });
});
