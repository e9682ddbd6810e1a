import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskBlobStore } from "../../src/node/disk-blob-store.ts";
import { parseTicketsFile } from "../../src/node/tickets-file.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("DiskBlobStore (bundles under CLAWOPS_DATA_DIR)", () => {
  it("stores private files, reads them back, and deletes them when retention passes", async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-blobs-"));
    const blobs = new DiskBlobStore(dir);
    const bytes = new Uint8Array([80, 75, 3, 4, 1, 2, 3]);
    await blobs.put("bundle_a.zip", bytes, { contentType: "application/zip", createdAt: 1_000, expiresAt: 5_000 });
    await blobs.put("bundle_b.zip", bytes, { contentType: "application/zip", createdAt: 1_000, expiresAt: 9_000 });
    const got = await blobs.get("bundle_a.zip");
    expect(Buffer.from(got?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    expect(got?.meta).toMatchObject({ size: 7, contentType: "application/zip", expiresAt: 5_000 });
    expect((await stat(join(dir, "bundles", "bundle_a.zip"))).mode & 0o077).toBe(0);
    expect(await blobs.cleanup(6_000)).toBe(1);
    expect(await blobs.get("bundle_a.zip")).toBeNull();
    expect((await readdir(join(dir, "bundles"))).sort()).toEqual(["bundle_b.zip", "bundle_b.zip.meta.json"]);
  });

  it("refuses keys that could leave its folder", async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-blobs-"));
    const blobs = new DiskBlobStore(dir);
    await expect(
      blobs.put("../escape.zip", new Uint8Array([1]), { contentType: "x", createdAt: 0, expiresAt: 1 }),
    ).rejects.toThrow(/invalid blob key/);
    expect(await blobs.get("../../etc/passwd")).toBeNull();
  });
});

describe("CLAWOPS_TICKETS_FILE (per-workspace tickets)", () => {
  it("reads one entry per Slack team id and refuses a malformed file with the reason", async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-tickets-"));
    const good = join(dir, "tickets.json");
    await writeFile(
      good,
      JSON.stringify({
        T0AAA: { jira: { baseUrl: "https://acme.atlassian.net", email: "a@acme.test", apiToken: "t1" } },
        T0BBB: { github: { token: "t2", repo: "acme/ops" } },
      }),
    );
    const config = parseTicketsFile(good);
    expect(config.T0AAA?.jira?.baseUrl).toBe("https://acme.atlassian.net");
    expect(config.T0BBB?.github).toEqual({ apiUrl: "https://api.github.com", token: "t2", repo: "acme/ops" });
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ T0AAA: { jira: { baseUrl: "not a url", email: "x@y", apiToken: "t" } } }));
    expect(() => parseTicketsFile(bad)).toThrow(/T0AAA\.jira\.baseUrl/);
  });
});
