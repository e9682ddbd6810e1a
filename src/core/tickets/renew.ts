import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { type Actor, authorize } from "../authz/authz.ts";
import { keepBundle, ticketKeepMs } from "../bundles/keep.ts";
import { withRetry } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { noteIncidentEvent } from "../incidents/record.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { utc } from "./content.ts";
import { para } from "./doc.ts";
import { ticketServices } from "./services.ts";
import { readStory } from "./story.ts";
import { tellThread } from "./thread.ts";
import { commentGithub } from "./trackers.ts";

/**
 * `/openclaw ticket <incident> renew` and the *Renew bundle link* button: the bundle a GitHub
 * ticket links to is kept CLAWOPS_TICKET_LINK_DAYS more from today, and the issue gets a comment
 * with the new link (GitHub has no attachments; a Jira ticket holds the file and needs none).
 * Refused before the ack, changing nothing, when the incident has no such ticket or its bundle
 * is gone.
 */
export async function renewTicketLink(deps: CoreDeps, req: CommandRequest, id: string): Promise<CommandReply> {
  const story = await readStory(deps, id);
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  await authorize(deps.recovery.authz, actor, "ticket");
  const { services, config, book } = ticketServices(deps, req.workspace);
  const linked = story.tickets.filter((t) => t.system === "github" && t.bundleId);
  const ticket = linked.at(-1);
  if (!ticket?.bundleId) {
    throw new ClawopsError(
      "no_ticket",
      story.tickets.length
        ? `Incident \`${story.incident.id}\`'s tickets carry no bundle link to renew (a Jira ticket holds the bundle itself).`
        : `Incident \`${story.incident.id}\` has no ticket yet: \`/openclaw ticket ${story.incident.id} new\` opens one.`,
      { status: 409 },
    );
  }
  const github = config.github;
  if (!github) {
    throw new ClawopsError("ticket_not_configured", "GitHub is not configured here: set GITHUB_TOKEN and GITHUB_REPO.");
  }
  const bundleId = ticket.bundleId;
  // The bundle must still be there: a renew of one already gone says so now and changes nothing.
  const blob = await services.blobs.get(`${bundleId}.zip`);
  if (!blob || blob.meta.expiresAt <= deps.clock.now()) {
    throw new ClawopsError(
      "bundle_not_found",
      `Bundle \`${bundleId}\` of ${ticket.key} is no longer kept; \`/openclaw bundle ${ticket.host}\` collects a new one and \`/openclaw ticket ${story.incident.id} new\` comments with it.`,
      { status: 404 },
    );
  }
  return {
    ack: renderNotice(
      `🔁 Renewing the bundle link of ${ticket.key}; the new link follows in the thread and on the issue.`,
    ),
    later: async () => {
      try {
        const now = deps.clock.now();
        const kept = await keepBundle(services, bundleId, now + ticketKeepMs(services), now);
        const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
        await withRetry(retry.attempts, retry.baseMs, () =>
          commentGithub(
            github,
            ticket.key,
            [
              para(
                `The repro bundle's link is renewed by ${req.user}, valid until ${utc(kept.keptUntil).slice(0, 10)}: `,
                { link: bundleId, href: kept.link },
              ),
            ],
            services.fetch ?? fetch,
          ),
        );
        await book.updateTicket(ticket.id, { keptUntil: kept.keptUntil, updatedAt: now });
        await noteIncidentEvent(deps, story.incident, {
          actor: req.user,
          kind: "ticket",
          text: `renewed the bundle link of ${ticket.key}: ${bundleId} kept until ${utc(kept.keptUntil).slice(0, 10)}`,
          ref: ticket.id,
        });
        await auditRenew(
          deps,
          req,
          ticket.host,
          "ok",
          `${ticket.key}: ${bundleId} kept until ${utc(kept.keptUntil)}`,
          ticket.id,
        );
        await tellThread(
          deps,
          story.incident,
          `🔁 The bundle link of ${ticket.key} is renewed: \`${bundleId}\` is kept until ${utc(kept.keptUntil).slice(0, 10)}, and the issue has the new link.`,
        );
      } catch (err) {
        const message = errorMessage(err);
        await noteIncidentEvent(deps, story.incident, {
          actor: req.user,
          kind: "ticket",
          text: `bundle link of ${ticket.key} not renewed: ${message}`.slice(0, 500),
          ref: ticket.id,
        });
        await auditRenew(deps, req, ticket.host, "error", `${ticket.key}: ${message}`, ticket.id);
        await tellThread(deps, story.incident, `❌ The bundle link of ${ticket.key} was not renewed: ${message}`);
      }
    },
  };
}

async function auditRenew(
  deps: CoreDeps,
  req: CommandRequest,
  host: string,
  outcome: "ok" | "error",
  detail: string,
  ref: string,
): Promise<void> {
  await audit(deps, {
    at: deps.clock.now(),
    actor: req.user,
    source: req.source,
    action: "ticket.renew",
    host,
    outcome,
    detail: detail.slice(0, 500),
    ref,
  });
}
