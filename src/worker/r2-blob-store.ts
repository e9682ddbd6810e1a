/**
 * Diagnostic bundles in R2 (binding BUNDLES in wrangler.toml). The shape is the small
 * blob interface a bundle writer needs: put bytes under a key, read them back. Keys are
 * chosen by the caller (e.g. `bundles/<host>/<job>.zip`); nothing here lists or deletes.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
}

export class R2BlobStore implements BlobStore {
  private readonly bucket: R2Bucket;

  constructor(bucket: R2Bucket) {
    this.bucket = bucket;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.bucket.put(key, bytes, { httpMetadata: { contentType } });
  }

  async get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    return {
      bytes: new Uint8Array(await object.arrayBuffer()),
      contentType: object.httpMetadata?.contentType ?? "application/octet-stream",
    };
  }
}
