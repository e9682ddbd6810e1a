import { strToU8, unzipSync, zipSync } from "fflate";
import { toHex } from "../../contract/encoding.ts";

/**
 * The bundle archive: a zip (fflate; runs on Node and workerd) of the bundle's files plus
 * `manifest.json` (each file's SHA-256 and size, via WebCrypto) and `redaction-report.json`.
 */
export type ManifestEntry = { name: string; size: number; sha256: string; complete: boolean; reason?: string };
export type Manifest = {
  bundleId: string;
  host: string;
  createdAt: string;
  /** False when any file is partial or missing: the summary says so too. */
  complete: boolean;
  incomplete: string[];
  files: ManifestEntry[];
};

export type ArchiveFile = { name: string; content: string; complete: boolean; reason?: string };

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

export async function buildArchive(
  meta: { bundleId: string; host: string; createdAt: string; incomplete: string[] },
  files: ArchiveFile[],
  redactionReport: unknown,
): Promise<{ zip: Uint8Array; manifest: Manifest }> {
  const entries: Record<string, Uint8Array> = {};
  const manifestFiles: ManifestEntry[] = [];
  const all = [
    ...files,
    { name: "redaction-report.json", content: `${JSON.stringify(redactionReport, null, 2)}\n`, complete: true },
  ];
  for (const f of all) {
    const bytes = strToU8(f.content);
    entries[f.name] = bytes;
    manifestFiles.push({
      name: f.name,
      size: bytes.byteLength,
      sha256: await sha256Hex(bytes),
      complete: f.complete,
      ...(f.reason ? { reason: f.reason } : {}),
    });
  }
  const incomplete = [
    ...meta.incomplete,
    ...files.filter((f) => !f.complete).map((f) => `${f.name}: ${f.reason ?? "partial"}`),
  ];
  const manifest: Manifest = {
    bundleId: meta.bundleId,
    host: meta.host,
    createdAt: meta.createdAt,
    complete: incomplete.length === 0,
    incomplete,
    files: manifestFiles,
  };
  entries["manifest.json"] = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  return { zip: zipSync(entries, { level: 6, mtime: new Date(meta.createdAt) }), manifest };
}

/** Checks every manifest entry against the archive's bytes; returns the problems found. */
export async function verifyArchive(zip: Uint8Array): Promise<{ manifest: Manifest; problems: string[] }> {
  const files = unzipSync(zip);
  const raw = files["manifest.json"];
  if (!raw) return { manifest: null as unknown as Manifest, problems: ["manifest.json missing"] };
  const manifest = JSON.parse(new TextDecoder().decode(raw)) as Manifest;
  const problems: string[] = [];
  for (const entry of manifest.files) {
    const bytes = files[entry.name];
    if (!bytes) {
      problems.push(`${entry.name}: listed but not in the archive`);
      continue;
    }
    if (bytes.byteLength !== entry.size) problems.push(`${entry.name}: size ${bytes.byteLength} ≠ ${entry.size}`);
    if ((await sha256Hex(bytes)) !== entry.sha256) problems.push(`${entry.name}: sha256 mismatch`);
  }
  for (const name of Object.keys(files)) {
    if (name !== "manifest.json" && !manifest.files.some((f) => f.name === name))
      problems.push(`${name}: in the archive but not in the manifest`);
  }
  return { manifest, problems };
}

/** The named files of an archive as text (a file not in it is left out); only those are inflated. */
export function readArchiveFiles(zip: Uint8Array, names: readonly string[]): Record<string, string> {
  const files = unzipSync(zip, { filter: (f) => names.includes(f.name) });
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, new TextDecoder().decode(bytes)]));
}
