import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildArchive, verifyArchive } from "../../src/core/bundles/archive.ts";
import { scanText } from "../../src/core/bundles/scan.ts";
import { HmacLinkSigner } from "../../src/core/bundles/signed-link.ts";
import { MemoryBlobStore } from "../support/memory-blob-store.ts";

/**
 * The control plane's bundle pieces inside workerd: fflate zip, WebCrypto SHA-256 manifest,
 * HMAC-signed links and the second scan run there as on Node (R2 will replace the blob store).
 */
describe("bundle core in workerd", () => {
  it("builds a zip whose manifest hashes verify, and detects tampering", async () => {
    const { zip, manifest } = await buildArchive(
      { bundleId: "bundle_w1", host: "node-w", createdAt: "2026-11-22T10:00:00.000Z", incomplete: [] },
      [
        { name: "versions.json", content: '{"cli":{"version":"2026.9.6"}}\n', complete: true },
        { name: "logs/around-last-start.log", content: "line\n".repeat(1000), complete: false, reason: "cut" },
      ],
      { total: 0, byKind: {} },
    );
    expect(manifest.complete).toBe(false);
    expect(manifest.files.map((f) => f.name)).toEqual([
      "versions.json",
      "logs/around-last-start.log",
      "redaction-report.json",
    ]);
    expect(manifest.files[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifyArchive(zip)).problems).toEqual([]);
    const files = unzipSync(zip);
    expect(strFromU8(files["versions.json"] as Uint8Array)).toContain("2026.9.6");
    const blobs = new MemoryBlobStore();
    await blobs.put("bundle_w1.zip", zip, { contentType: "application/zip", createdAt: 0, expiresAt: 10 });
    expect((await blobs.get("bundle_w1.zip"))?.meta.size).toBe(zip.byteLength);
    expect(await blobs.cleanup(11)).toBe(1);
  });

  it("signs links that expire and cannot be moved to another bundle", async () => {
    const signer = new HmacLinkSigner("workers-link-secret-0123456789");
    const link = new URL(await signer.sign("https://ops.example", "bundle_w1", 60_000));
    const exp = link.searchParams.get("exp") ?? undefined;
    const sig = link.searchParams.get("sig") ?? undefined;
    expect(await signer.verify("bundle_w1", exp, sig, 1_000)).toBe("ok");
    expect(await signer.verify("bundle_w2", exp, sig, 1_000)).toBe("bad");
    expect(await signer.verify("bundle_w1", exp, sig, 61_000)).toBe("expired");
  });

  it("second scan finds what host redaction missed, and passes markers and fingerprints", () => {
    expect(scanText("f", "auth: Bearer abcdefghijklmnop1234").map((h) => h.kind)).toEqual(["bearer"]);
    expect(scanText("f", "key xoxb-123456-abcdef").map((h) => h.kind)).toEqual(["slack-token"]);
    expect(scanText("f", '"token": "[REDACTED:secret-field]" fingerprint sha256:0a1b2c3d4e5f')).toEqual([]);
  });
});
