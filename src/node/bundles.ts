import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_BUNDLE_LINK_TTL_MS, DEFAULT_BUNDLE_RETENTION_MS } from "../core/bundles/bundle.ts";
import { HmacLinkSigner } from "../core/bundles/signed-link.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { BundleServices, TicketConfig } from "../core/ports/bundles.ts";
import { DiskBlobStore } from "./disk-blob-store.ts";

/** Bundle settings on Node, from the configuration (src/node/config/load.ts). */
export interface NodeBundleSettings {
  /** CLAWOPS_LINK_SECRET; unset: a random key kept in `<data>/link-secret`. */
  linkSecret?: string;
  /** CLAWOPS_PUBLIC_URL; unset: the listen URL, filled in once it is known. */
  publicUrl?: string;
  /** CLAWOPS_BUNDLE_RETENTION_DAYS and CLAWOPS_BUNDLE_LINK_HOURS. */
  retentionMs: number;
  linkTtlMs: number;
  /** JIRA_* and GITHUB_*. */
  tickets: TicketConfig;
  /** CLAWOPS_TICKETS_FILE, read and checked. */
  ticketsByWorkspace?: Record<string, TicketConfig>;
  /** CLAWOPS_TICKET_RETRY_BASE_MS. */
  retryBaseMs?: number;
  /** CLAWOPS_TICKET_LINK_DAYS: how long a bundle a ticket links to is kept. */
  ticketKeepMs?: number;
}

export const DEFAULT_BUNDLE_SETTINGS: NodeBundleSettings = {
  retentionMs: DEFAULT_BUNDLE_RETENTION_MS,
  linkTtlMs: DEFAULT_BUNDLE_LINK_TTL_MS,
  tickets: {},
};

/**
 * Bundle services on Node: blobs on disk under `<data>/bundles` (cleaned hourly), links signed
 * with the configured key (else a random one kept in `<data>/link-secret`) and pointing at the
 * public URL (else the listen URL), tickets to Jira and GitHub.
 */
export async function nodeBundleServices(
  settings: NodeBundleSettings,
  dataDir: string,
): Promise<BundleServices & { blobs: DiskBlobStore }> {
  return {
    blobs: new DiskBlobStore(dataDir),
    signer: new HmacLinkSigner(settings.linkSecret || (await linkSecret(dataDir))),
    publicUrl: settings.publicUrl ?? "",
    retentionMs: settings.retentionMs,
    linkTtlMs: settings.linkTtlMs,
    tickets: settings.tickets,
    ...(settings.ticketsByWorkspace ? { ticketsByWorkspace: settings.ticketsByWorkspace } : {}),
    ...(settings.retryBaseMs ? { retry: { attempts: 3, baseMs: settings.retryBaseMs } } : {}),
    ...(settings.ticketKeepMs ? { ticketKeepMs: settings.ticketKeepMs } : {}),
  };
}

async function linkSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, "link-secret");
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // First start: create it.
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Deletes expired bundles now and every hour; returns a stop function. */
export function scheduleBlobCleanup(blobs: DiskBlobStore, logger: Logger, now: () => number): () => void {
  const run = () =>
    blobs
      .cleanup(now())
      .then((n) => n > 0 && logger.info("expired bundles deleted", { count: n }))
      .catch((err) => logger.warn("bundle cleanup failed", { err: String(err) }));
  void run();
  const timer = setInterval(run, 60 * 60 * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
