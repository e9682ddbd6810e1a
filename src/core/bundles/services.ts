import type { BlobStore } from "../ports.ts";
import type { LinkSigner } from "./signed-link.ts";
import type { TicketConfig } from "./tickets.ts";

/** What repro bundles need beyond the core: storage, link signing, ticket systems. */
export interface BundleServices {
  blobs: BlobStore;
  signer: LinkSigner;
  /** Base URL the signed links point at (the hono app serves `/bundles/:id`). */
  publicUrl: string;
  /** How long a bundle is kept; links expire with it at the latest. */
  retentionMs: number;
  linkTtlMs: number;
  /** Ticket systems for commands from any workspace without its own entry below. */
  tickets: TicketConfig;
  /** Per Slack workspace (team id): its own Jira/GitHub, replacing `tickets` for its commands. */
  ticketsByWorkspace?: Record<string, TicketConfig>;
  fetch?: typeof fetch;
  retry?: { attempts: number; baseMs: number };
}
