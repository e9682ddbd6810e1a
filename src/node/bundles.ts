import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { errorMessage } from "../contract/errors.ts";
import { bundleLifetimesFromEnv } from "../core/bundles/bundle.ts";
import { HmacLinkSigner } from "../core/bundles/signed-link.ts";
import { ticketConfigFromEnv } from "../core/bundles/tickets.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { BundleServices, TicketConfig } from "../core/ports/bundles.ts";
import { DiskBlobStore } from "./disk-blob-store.ts";

/**
 * Bundle services on Node, from the environment:
 *  - blobs on disk under `<data>/bundles`, kept CLAWOPS_BUNDLE_RETENTION_DAYS (14), cleaned hourly;
 *  - links signed with CLAWOPS_LINK_SECRET (else a random key kept in `<data>/link-secret`),
 *    valid CLAWOPS_BUNDLE_LINK_HOURS (168) and pointing at CLAWOPS_PUBLIC_URL (else the listen URL);
 *  - tickets: Jira (JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN), GitHub (GITHUB_TOKEN, GITHUB_REPO,
 *    GITHUB_API_URL).
 */
export async function bundleServicesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  dataDir: string,
): Promise<BundleServices & { blobs: DiskBlobStore }> {
  return {
    blobs: new DiskBlobStore(dataDir),
    signer: new HmacLinkSigner(env.CLAWOPS_LINK_SECRET || (await linkSecret(dataDir))),
    publicUrl: env.CLAWOPS_PUBLIC_URL ?? "",
    ...bundleLifetimesFromEnv(env),
    tickets: ticketConfigFromEnv(env),
    ...(env.CLAWOPS_TICKETS_FILE ? { ticketsByWorkspace: await ticketsByWorkspace(env.CLAWOPS_TICKETS_FILE) } : {}),
    ...(env.CLAWOPS_TICKET_RETRY_BASE_MS
      ? { retry: { attempts: 3, baseMs: Number(env.CLAWOPS_TICKET_RETRY_BASE_MS) || 1_000 } }
      : {}),
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

const TicketFile = z.record(
  z.string().regex(/^[A-Z0-9]{2,20}$/, "keys are Slack team ids such as T0123ABCD"),
  z
    .object({
      jira: z
        .object({ baseUrl: z.url(), email: z.string().min(3), apiToken: z.string().min(1) })
        .strict()
        .optional(),
      github: z
        .object({
          apiUrl: z.url().optional(),
          token: z.string().min(1),
          repo: z
            .string()
            .regex(/^[\w.-]+\/[\w.-]+$/)
            .optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

/**
 * CLAWOPS_TICKETS_FILE: JSON `{ "<Slack team id>": { "jira": {baseUrl, email, apiToken},
 * "github": {token, repo?, apiUrl?} } }`. Commands from a listed workspace use its entry;
 * others use the JIRA_* / GITHUB_* variables. Keep the file mode 0600: it holds API tokens.
 */
export async function ticketsByWorkspace(path: string): Promise<Record<string, TicketConfig>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`CLAWOPS_TICKETS_FILE ${path} could not be read as JSON: ${errorMessage(err)}`);
  }
  const parsed = TicketFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`CLAWOPS_TICKETS_FILE ${path}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`);
  }
  const out: Record<string, TicketConfig> = {};
  for (const [team, entry] of Object.entries(parsed.data)) {
    out[team] = {
      ...(entry.jira ? { jira: entry.jira } : {}),
      ...(entry.github
        ? {
            github: {
              apiUrl: entry.github.apiUrl ?? "https://api.github.com",
              token: entry.github.token,
              ...(entry.github.repo ? { repo: entry.github.repo } : {}),
            },
          }
        : {}),
    };
  }
  return out;
}
