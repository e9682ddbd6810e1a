import type { BlobMeta, BlobStore } from "../../src/core/ports/blobs.ts";

/** In-memory blobs for tests and the workerd build until R2 is wired. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { bytes: Uint8Array; meta: BlobMeta }>();

  async put(key: string, bytes: Uint8Array, meta: { contentType: string; createdAt: number; expiresAt: number }) {
    this.blobs.set(key, { bytes: bytes.slice(), meta: { key, size: bytes.byteLength, ...meta } });
  }

  async get(key: string) {
    return this.blobs.get(key) ?? null;
  }

  async cleanup(now: number): Promise<number> {
    let n = 0;
    for (const [key, b] of this.blobs) {
      if (b.meta.expiresAt <= now) {
        this.blobs.delete(key);
        n++;
      }
    }
    return n;
  }
}
