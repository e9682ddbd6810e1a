import { HmacLinkSigner } from "../core/bundles/signed-link.ts";
import type { BundleServices } from "../core/ports/bundles.ts";
import { parseWorkerConfig, type WorkerEnv, workerVar } from "./env.ts";
import { R2BlobStore } from "./r2-blob-store.ts";

/** The link key must be long enough that nobody guesses it (`openssl rand -hex 32` gives 64). */
const MIN_LINK_SECRET = 32;

/**
 * Bundle services on Workers: blobs in the BUNDLES R2 bucket, links signed with the
 * CLAWOPS_LINK_SECRET secret and pointing at CLAWOPS_PUBLIC_URL (else the Worker's own
 * origin), retention and tickets from the same variables as on Node. Returns why not when a
 * part is missing, for `/openclaw bundle` to say.
 */
export function workerBundleServices(
  env: WorkerEnv,
  origin: string,
): { ok: true; services: BundleServices } | { ok: false; missing: string } {
  if (!env.BUNDLES) {
    return { ok: false, missing: "the Worker has no BUNDLES R2 binding (wrangler.toml [[r2_buckets]])" };
  }
  const secret = workerVar(env, "CLAWOPS_LINK_SECRET") ?? "";
  if (secret.length < MIN_LINK_SECRET) {
    return {
      ok: false,
      missing: `CLAWOPS_LINK_SECRET ${secret ? `is shorter than ${MIN_LINK_SECRET} characters` : "is not set"}; run \`npx wrangler secret put CLAWOPS_LINK_SECRET\` with \`openssl rand -hex 32\``,
    };
  }
  const config = parseWorkerConfig(env);
  if (!config.ok) return { ok: false, missing: config.problems.join(" ") };
  return {
    ok: true,
    services: {
      blobs: new R2BlobStore(env.BUNDLES),
      signer: new HmacLinkSigner(secret),
      publicUrl: workerVar(env, "CLAWOPS_PUBLIC_URL") || origin,
      ...config.config.bundleLifetimes,
      tickets: config.config.tickets,
      ticketKeepMs: config.config.ticketKeepMs,
    },
  };
}
