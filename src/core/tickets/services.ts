import { ticketConfigFor } from "../bundles/bundle.ts";
import { describeHits } from "../bundles/scan.ts";
import { secondScan } from "../bundles/second-scan.ts";
import { ClawopsError } from "../errors.ts";
import type { BundleServices, TicketConfig } from "../ports/bundles.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { TicketBook, TicketSystem } from "../ports/ticket-book.ts";
import { type Doc, toPlainText } from "./doc.ts";

/**
 * What opening a ticket needs and may refuse before anything is sent: the workspace's ticket
 * systems (they live with the bundle settings), the store's ticket book, the system to use, and
 * a text free of anything that looks like a secret (the bundles' second scan).
 */
export type Services = { services: BundleServices; config: TicketConfig; book: TicketBook };

/** The ticket systems of this workspace, and the store's ticket book; refused clearly without tickets on. */
export function ticketServices(deps: CoreDeps, workspace: string | undefined): Services {
  if (!deps.bundles.on) {
    throw new ClawopsError(
      "ticket_not_configured",
      `Tickets are not configured on this control plane: they use the bundle settings, and ${deps.bundles.why} (docs/tickets.md).`,
      { status: 501 },
    );
  }
  return {
    services: deps.bundles.use,
    config: ticketConfigFor(deps.bundles.use, workspace),
    book: deps.store,
  };
}

/**
 * Whether `/openclaw ticket <incident> new` could open a ticket here: tickets are on and a system
 * is configured for new ones. What the *Open ticket* button and suggestion wait for (issue 41).
 */
export function canOpenTickets(deps: CoreDeps, workspace: string | undefined): boolean {
  try {
    chooseSystem(ticketServices(deps, workspace).config, null);
    return true;
  } catch {
    return false;
  }
}

/** The system asked for, or the one configured for new tickets (Jira first), or why none can be. */
export function chooseSystem(config: TicketConfig, asked: TicketSystem | null): TicketSystem {
  const jira = !!config.jira?.project;
  const github = !!config.github?.repo;
  if (asked === "jira" && !jira) {
    throw new ClawopsError(
      "ticket_not_configured",
      config.jira
        ? "Jira has no project for new tickets: set JIRA_PROJECT (and JIRA_ISSUE_TYPE, default Task)."
        : "Jira is not configured here: set JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and JIRA_PROJECT.",
    );
  }
  if (asked === "github" && !github) {
    throw new ClawopsError(
      "ticket_not_configured",
      config.github
        ? "GitHub has no repository for new tickets: set GITHUB_REPO (owner/name)."
        : "GitHub is not configured here: set GITHUB_TOKEN and GITHUB_REPO.",
    );
  }
  if (asked) return asked;
  if (jira) return "jira";
  if (github) return "github";
  throw new ClawopsError(
    "ticket_not_configured",
    "No ticket system is configured for new tickets: set JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and JIRA_PROJECT, or GITHUB_TOKEN and GITHUB_REPO (docs/tickets.md).",
  );
}

export async function refuseSecrets(title: string, doc: Doc): Promise<void> {
  const scan = await secondScan([
    { where: "ticket title", text: title },
    { where: "ticket text", text: toPlainText(doc) },
  ]);
  if (scan.hits.length === 0) return;
  throw new ClawopsError(
    "ticket_refused",
    `Nothing was sent: the ticket's text looks like it holds a secret (${describeHits(scan.hits)}). Find it with \`/openclaw incident <id>\` (a note or a freeze reason), then try again.`,
    { status: 422 },
  );
}
