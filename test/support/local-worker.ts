import { unstable_startWorker } from "wrangler";

/**
 * wrangler.toml's Worker, bundled by wrangler and run by workerd (Miniflare) on 127.0.0.1,
 * as the workerd tests and the workerd fleet bench use it: no inspector, no file watching,
 * nothing remote, Durable Object/R2/Workflow state under `persist` (so a restart on the same
 * folder and port picks up where it stopped), every binding given as plain text.
 */
export type LocalWorker = Awaited<ReturnType<typeof unstable_startWorker>>;

const WRANGLER_TOML = new URL("../../wrangler.toml", import.meta.url).pathname;

export async function startLocalWorker(opts: {
  port: number;
  persist: string;
  vars: Record<string, string>;
  logLevel?: "debug" | "info" | "log" | "warn" | "error";
  /** Another entry module than wrangler.toml's `main` (a bench's, wrapping it). */
  entrypoint?: string;
}): Promise<{ worker: LocalWorker; url: string }> {
  // Hermetic: no `Request.cf` download, no metrics, no banner.
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_HIDE_BANNER = "true";
  // Nor wrangler's local dev tools, which are not there on Cloudflare and ran in the Worker's
  // workerd: the local explorer wraps every SQLite Durable Object class so each construction
  // writes the object's name (a commit, with fsync, per host object woken), and local
  // observability tails every event of the Worker and its objects into a collector. Together
  // they were about half of that workerd's CPU in a live `status all` (docs/benchmarks.md).
  process.env.X_LOCAL_EXPLORER = "false";
  process.env.X_LOCAL_OBSERVABILITY = "false";
  const worker = await unstable_startWorker({
    config: WRANGLER_TOML,
    ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}),
    bindings: Object.fromEntries(
      Object.entries(opts.vars).map(([name, value]) => [name, { type: "plain_text", value }]),
    ),
    dev: {
      server: { hostname: "127.0.0.1", port: opts.port },
      inspector: false,
      watch: false,
      remote: false,
      persist: opts.persist,
      logLevel: opts.logLevel ?? "warn",
    },
  } as Parameters<typeof unstable_startWorker>[0]);
  await worker.ready;
  return { worker, url: (await worker.url).toString().replace(/\/$/, "") };
}

/** A loopback port nothing listens on now (for a Worker that must come back on the same one). */
/** Kept for its importers; the one implementation is ./ports.ts. */
export { freePort as freeLoopbackPort } from "./ports.ts";
