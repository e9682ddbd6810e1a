/** Blobs (repro bundles): disk on Node, R2 on Workers. */

export interface BlobMeta {
  key: string;
  size: number;
  contentType: string;
  createdAt: number;
  /** After this the blob is deleted by `cleanup` and its links stop working. */
  expiresAt: number;
}

export interface BlobStore {
  put(
    key: string,
    bytes: Uint8Array,
    meta: { contentType: string; createdAt: number; expiresAt: number },
  ): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; meta: BlobMeta } | null>;
  /** Deletes every blob whose retention has passed; returns how many. */
  cleanup(now: number): Promise<number>;
}
