import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlobMeta, BlobStore } from "../core/ports/blobs.ts";

const KEY = /^[A-Za-z0-9_.-]{1,120}$/;

/**
 * Bundles on disk under `<CLAWOPS_DATA_DIR>/bundles`: `<key>` holds the bytes, `<key>.meta.json`
 * the content type and retention. Written to a temp name and renamed, so a reader never sees
 * half a file. Mode 0600: bundles are redacted, but they are still operational detail.
 */
export class DiskBlobStore implements BlobStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "bundles");
  }

  private path(key: string): string {
    if (!KEY.test(key) || key.endsWith(".meta.json")) throw new Error(`invalid blob key ${key}`);
    return join(this.dir, key);
  }

  async put(key: string, bytes: Uint8Array, meta: { contentType: string; createdAt: number; expiresAt: number }) {
    const path = this.path(key);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const full: BlobMeta = { key, size: bytes.byteLength, ...meta };
    await writeFile(`${path}.tmp`, bytes, { mode: 0o600 });
    await writeFile(`${path}.meta.json.tmp`, JSON.stringify(full), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
    await rename(`${path}.meta.json.tmp`, `${path}.meta.json`);
  }

  async get(key: string): Promise<{ bytes: Uint8Array; meta: BlobMeta } | null> {
    let path: string;
    try {
      path = this.path(key);
    } catch {
      return null;
    }
    try {
      const meta = JSON.parse(await readFile(`${path}.meta.json`, "utf8")) as BlobMeta;
      const bytes = new Uint8Array(await readFile(path));
      return { bytes, meta };
    } catch {
      return null;
    }
  }

  async cleanup(now: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names.filter((n) => n.endsWith(".meta.json"))) {
      const key = name.slice(0, -".meta.json".length);
      try {
        const meta = JSON.parse(await readFile(join(this.dir, name), "utf8")) as BlobMeta;
        if (meta.expiresAt > now) continue;
      } catch {
        // Unreadable metadata: the blob cannot be served either; remove it.
      }
      await rm(join(this.dir, key), { force: true });
      await rm(join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }
}
