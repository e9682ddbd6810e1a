import type { BlobStore } from "./blobs.ts";

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
  /**
   * How long a bundle delivered to a ticket is kept, and its link in a GitHub issue valid
   * (CLAWOPS_TICKET_LINK_DAYS, default 90 days), renewable from the thread. Never shorter than
   * the bundle's own retention.
   */
  ticketKeepMs?: number;
}

/** Where bundles are attached: Jira Cloud and GitHub issues (bundles/tickets.ts). */
export type TicketConfig = {
  /** `project` and `issueType` (JIRA_PROJECT, JIRA_ISSUE_TYPE): where `ticket <incident> new jira` opens issues. */
  jira?: {
    baseUrl: string;
    email: string;
    apiToken: string;
    project?: string;
    issueType?: string;
    /** JIRA_RESOLVE_TRANSITION: the workflow transition a resolve moves the incident's issue through (e.g. `Done`). */
    resolveTransition?: string;
  };
  /** `repo` is the default `owner/name` for a bare `#12`. */
  github?: { apiUrl: string; token: string; repo?: string };
};

export type TicketRef = (
  | { system: "jira"; key: string }
  | { system: "github"; repo: string | null; number: number; label: string }
) & {
  /** The incident ticket record (ticket-book.ts) this delivery belongs to: it learns the bundle. */
  record?: string;
};

/** Signs and checks expiring download links (bundles/signed-link.ts: HMAC-SHA256). */
export interface LinkSigner {
  sign(baseUrl: string, id: string, expiresAtMs: number): Promise<string>;
  /** `ok` only for an unexpired link whose signature matches, compared in constant time. */
  verify(
    id: string,
    exp: string | undefined,
    sig: string | undefined,
    nowMs: number,
  ): Promise<"ok" | "expired" | "bad">;
}
