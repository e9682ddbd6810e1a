import type { BlobMeta, BlobStore } from "../core/ports/blobs.ts";

/** Every bundle lives under this prefix, so `cleanup` lists nothing else in a shared bucket. */
const PREFIX = "bundles/";
const KEY = /^[A-Za-z0-9_.-]{1,120}$/;

/**
 * Repro bundles in R2 (binding BUNDLES in wrangler.toml): the Workers side of the core
 * `BlobStore` port that src/node/disk-blob-store.ts implements on disk. Retention rides in
 * the object's custom metadata; `get` never serves a blob past it, and `cleanup` (run by the
 * Worker's cron trigger) deletes those, a listing page at a time.
 */
export class R2BlobStore implements BlobStore {
  private readonly bucket: R2Bucket;

  constructor(bucket: R2Bucket) {
    this.bucket = bucket;
  }

  async put(key: string, bytes: Uint8Array, meta: { contentType: string; createdAt: number; expiresAt: number }) {
    await this.bucket.put(objectKey(key), bytes, {
      httpMetadata: { contentType: meta.contentType },
      customMetadata: { createdAt: String(meta.createdAt), expiresAt: String(meta.expiresAt) },
    });
  }

  async get(key: string): Promise<{ bytes: Uint8Array; meta: BlobMeta } | null> {
    if (!KEY.test(key)) return null;
    const object = await this.bucket.get(objectKey(key));
    if (!object) return null;
    const meta = metaOf(key, object);
    if (!meta) return null;
    return { bytes: new Uint8Array(await object.arrayBuffer()), meta };
  }

  async cleanup(now: number): Promise<number> {
    let removed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({
        prefix: PREFIX,
        include: ["customMetadata"],
        ...(cursor ? { cursor } : {}),
      });
      const expired = page.objects
        .filter((o) => {
          const at = Number(o.customMetadata?.expiresAt);
          // No readable retention: it cannot be served either (see `metaOf`), so it goes.
          return !Number.isFinite(at) || at <= now;
        })
        .map((o) => o.key);
      if (expired.length > 0) await this.bucket.delete(expired);
      removed += expired.length;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return removed;
  }
}

function objectKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
  return `${PREFIX}${key}`;
}

function metaOf(key: string, object: R2Object): BlobMeta | null {
  const createdAt = Number(object.customMetadata?.createdAt);
  const expiresAt = Number(object.customMetadata?.expiresAt);
  if (!Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) return null;
  return {
    key,
    size: object.size,
    contentType: object.httpMetadata?.contentType ?? "application/octet-stream",
    createdAt,
    expiresAt,
  };
}
