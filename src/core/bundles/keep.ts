import { ClawopsError } from "../errors.ts";
import type { BundleServices } from "../ports/bundles.ts";

/**
 * A bundle a ticket carries is kept as long as the ticket needs it (issue 29, item 6): a GitHub
 * issue gets a link, not the file, so the link and the bundle behind it live
 * CLAWOPS_TICKET_LINK_DAYS (default 90), and `/openclaw ticket <incident> renew` keeps them
 * that long again from the day it is run. A Jira issue holds the file itself.
 */
export const DEFAULT_TICKET_KEEP_MS = 90 * 24 * 3_600_000;

/** The parsed CLAWOPS_TICKET_LINK_DAYS (unset: 90) in ms, on both runtimes. */
export function ticketKeepMsFor(days: number | undefined): number {
  return days !== undefined && days > 0 ? days * 24 * 3_600_000 : DEFAULT_TICKET_KEEP_MS;
}

export function ticketKeepMs(services: BundleServices): number {
  return Math.max(services.ticketKeepMs ?? DEFAULT_TICKET_KEEP_MS, services.retentionMs);
}

/**
 * Keeps the bundle until at least `until` (its blob written again with the later expiry; never
 * shortened) and signs a link valid that long. `bytes`: the zip when the caller has it at hand;
 * else it is read back, and a bundle already gone is `bundle_not_found`.
 */
export async function keepBundle(
  services: BundleServices,
  bundleId: string,
  until: number,
  now: number,
  bytes?: Uint8Array,
): Promise<{ link: string; keptUntil: number }> {
  const key = `${bundleId}.zip`;
  const stored = await services.blobs.get(key);
  if (!stored && !bytes) {
    throw new ClawopsError(
      "bundle_not_found",
      `Bundle \`${bundleId}\` is no longer kept (its retention passed), so its link cannot be renewed. Collect a new one with \`/openclaw bundle <host>\`; \`/openclaw ticket <incident> new\` then comments with it.`,
      { status: 404 },
    );
  }
  if (stored && stored.meta.expiresAt <= now) {
    throw new ClawopsError("bundle_not_found", `Bundle \`${bundleId}\` expired already; collect a new one.`, {
      status: 404,
    });
  }
  const keptUntil = Math.max(until, stored?.meta.expiresAt ?? 0);
  if (!stored || stored.meta.expiresAt < keptUntil) {
    await services.blobs.put(key, bytes ?? (stored?.bytes as Uint8Array), {
      contentType: stored?.meta.contentType ?? "application/zip",
      createdAt: stored?.meta.createdAt ?? now,
      expiresAt: keptUntil,
    });
  }
  return { link: await services.signer.sign(services.publicUrl, bundleId, keptUntil), keptUntil };
}
