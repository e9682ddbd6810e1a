import { HmacLinkSigner } from "../../src/core/bundles/signed-link.ts";
import type { BundleServices, TicketConfig } from "../../src/core/ports/bundles.ts";
import { MemoryBlobStore } from "./memory-blob-store.ts";
import { SlackStandIn } from "./slack-standin.ts";
import { GithubStandIn, JiraStandIn } from "./ticket-standins.ts";

/** The Jira account and GitHub token the bundle tests' tickets go to (the stand-ins check them). */
export const BUNDLE_TICKETS = {
  jiraEmail: "ops@example.com",
  jiraToken: "jira-api-token-abc123",
  githubToken: "gh-app-token-xyz789",
  githubRepo: "acme/infra",
} as const;

/**
 * What a repro-bundle test posts to, started on loopback: the Slack stand-in (external upload
 * flow), Jira and GitHub stand-ins; and the bundle services as the lab sets them (an in-memory
 * blob store, the test link key, tickets to these stand-ins, one attempt per ticket call).
 */
export interface BundleStandIns {
  slack: SlackStandIn;
  jira: JiraStandIn;
  github: GithubStandIn;
  /** BundleServices to these stand-ins; `over` replaces any field (blobs, retry, tickets, …). */
  services(over?: Partial<BundleServices>): BundleServices;
  stop(): Promise<void>;
}

export async function startBundleStandIns(botToken: string): Promise<BundleStandIns> {
  const slack = new SlackStandIn(botToken);
  await slack.start();
  const jira = new JiraStandIn(BUNDLE_TICKETS.jiraEmail, BUNDLE_TICKETS.jiraToken);
  await jira.start();
  const github = new GithubStandIn(BUNDLE_TICKETS.githubToken);
  await github.start();
  return {
    slack,
    jira,
    github,
    services: (over = {}) => ({
      blobs: new MemoryBlobStore(),
      signer: new HmacLinkSigner("test-link-secret-0123456789abcdef"),
      publicUrl: "http://127.0.0.1:9",
      retentionMs: 3_600_000,
      linkTtlMs: 600_000,
      tickets: {
        jira: { baseUrl: jira.url, email: BUNDLE_TICKETS.jiraEmail, apiToken: BUNDLE_TICKETS.jiraToken },
        github: { apiUrl: github.url, token: BUNDLE_TICKETS.githubToken, repo: BUNDLE_TICKETS.githubRepo },
      },
      retry: { attempts: 1, baseMs: 10 },
      ...over,
    }),
    stop: async () => {
      await slack.stop();
      await jira.stop();
      await github.stop();
    },
  };
}

/** The Jira and GitHub stand-ins of an incident-ticket test, and the TicketConfig that points at them. */
export interface TicketStandIns {
  jira: JiraStandIn;
  github: GithubStandIn;
  tickets: TicketConfig;
  stop(): Promise<void>;
}

/**
 * Starts Jira and GitHub stand-ins on loopback for the accounts given (default: oncall@example.com,
 * `jira-token-abc`, `gh-token-xyz`, repository acme/infra) and a TicketConfig to them; `jira`
 * adds Jira settings (project, resolveTransition, …).
 */
export async function startTicketStandIns(
  opts: {
    email?: string;
    jiraToken?: string;
    githubToken?: string;
    jira?: Partial<NonNullable<TicketConfig["jira"]>>;
  } = {},
): Promise<TicketStandIns> {
  const email = opts.email ?? "oncall@example.com";
  const jiraToken = opts.jiraToken ?? "jira-token-abc";
  const githubToken = opts.githubToken ?? "gh-token-xyz";
  const jira = new JiraStandIn(email, jiraToken);
  const github = new GithubStandIn(githubToken);
  await jira.start();
  await github.start();
  return {
    jira,
    github,
    tickets: {
      jira: { baseUrl: jira.url, email, apiToken: jiraToken, ...opts.jira },
      github: { apiUrl: github.url, token: githubToken, repo: "acme/infra" },
    },
    stop: async () => {
      await jira.stop();
      await github.stop();
    },
  };
}
