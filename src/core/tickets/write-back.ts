import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { TicketHttpError, ticketRetryDelay } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { MAX_ATTEMPTS, settleFailedTry } from "../incidents/outbox.ts";
import { appendTimeline } from "../incidents/record.ts";
import { context, escapeMrkdwn, section } from "../messages/build.ts";
import type { TicketConfig } from "../ports/bundles.ts";
import type { CoreDeps, TicketWriteBack } from "../ports/deps.ts";
import type { Incident, IncidentBook, OutboxItem } from "../ports/incident-book.ts";
import type { IncidentTicket } from "../ports/ticket-book.ts";
import { utc } from "./content.ts";
import { para } from "./doc.ts";
import { closeGithubIssue, commentGithub, commentJira, type Github, type Jira, transitionJira } from "./trackers.ts";

/**
 * Tickets both ways, outward (issue 41, item 4): resolving an incident comments on each open
 * Jira issue and GitHub issue linked to it, moves the Jira issue through JIRA_RESOLVE_TRANSITION
 * when set, and closes the GitHub issue as completed. Each is its own outbox item (record first,
 * deliver after: a tracker that is down never holds or undoes the resolve), so a comment that
 * went is not sent again while the transition after it is retried. Retried as the other ticket
 * calls are: a 5xx, a 429 (after its Retry-After) or a lost connection again with the outbox's
 * backoff; any other 4xx is given up. The first failure is said once in the incident's thread
 * and on its timeline; what finally happened is on the timeline.
 */

/** Every kind of ours starts with this: `ticket:jira:comment`, `ticket:jira:transition`, `ticket:github:comment`, `ticket:github:close`. */
export const TICKET_OUTBOX_PREFIX = "ticket:";

type Step = "jira:comment" | "jira:transition" | "github:comment" | "github:close";
interface QueuedStep {
  step: Step;
  ticketId: string;
  key: string;
  incidentId: string;
  by: string;
  /** The transition's name (jira:transition). */
  transition?: string;
}

/** The runtime's ticket settings: the default systems, and each Slack workspace's own (CLAWOPS_TICKETS_FILE). */
export interface WriteBackSettings {
  tickets: TicketConfig;
  ticketsByWorkspace?: Record<string, TicketConfig>;
  fetch?: typeof fetch;
}

export function ticketWriteBack(settings: WriteBackSettings): TicketWriteBack {
  return {
    owns: (item) => item.kind.startsWith(TICKET_OUTBOX_PREFIX),
    queueResolve: (deps, incident, actor) => queueResolve(deps, settings, incident, actor),
    deliver: (deps, book, item) => deliverStep(deps, settings, book, item),
  };
}

/**
 * The Jira or GitHub a ticket was opened in: of the configured ones, the Jira whose site its
 * browse URL is on, the GitHub whose default repository it is in, else the default one.
 */
function configFor(s: WriteBackSettings, t: Pick<IncidentTicket, "system" | "key" | "url">): Jira | Github | null {
  const all = [s.tickets, ...Object.values(s.ticketsByWorkspace ?? {})];
  if (t.system === "jira") {
    const jiras = all.flatMap((c) => (c.jira ? [c.jira] : []));
    const site = (u: string) => u.replace(/\/+$/, "");
    return jiras.find((j) => t.url?.startsWith(`${site(j.baseUrl)}/`)) ?? s.tickets.jira ?? null;
  }
  const githubs = all.flatMap((c) => (c.github ? [c.github] : []));
  const repo = t.key.split("#")[0];
  return githubs.find((g) => g.repo === repo) ?? s.tickets.github ?? null;
}

async function queueResolve(
  deps: CoreDeps,
  settings: WriteBackSettings,
  incident: Incident,
  actor: string,
): Promise<void> {
  try {
    const tickets = (await deps.store.incidentTickets(incident.id)).filter((t) => t.state === "open");
    const now = deps.clock.now();
    for (const t of tickets) {
      const config = configFor(settings, t);
      // A ticket another open incident still tracks (it commented on it) gets the comment only.
      const closes = !(await trackedElsewhere(deps.store, deps, t.id, incident.id));
      const transition = t.system === "jira" ? (config as Jira | null)?.resolveTransition : undefined;
      const steps: Step[] =
        t.system === "jira"
          ? ["jira:comment", ...(transition && closes ? (["jira:transition"] as const) : [])]
          : ["github:comment", ...(closes ? (["github:close"] as const) : [])];
      for (const [n, step] of steps.entries()) {
        const body: QueuedStep = {
          step,
          ticketId: t.id,
          key: t.key,
          incidentId: incident.id,
          by: actor,
          ...(step === "jira:transition" && transition ? { transition } : {}),
        };
        await deps.store.enqueueOutbox({
          id: deps.ids.id("out"),
          key: `${TICKET_OUTBOX_PREFIX}${step}:${incident.id}:${t.id}`,
          kind: `${TICKET_OUTBOX_PREFIX}${step}`,
          incidentId: incident.id,
          body: JSON.stringify(body),
          // The comment first, then the transition or close: due together, delivered in this order.
          nextAt: now,
          createdAt: now + n,
        });
      }
    }
  } catch (err) {
    deps.logger.error("ticket write-back not queued", { incident: incident.id, err: errorMessage(err) });
  }
}

/** Whether an incident other than `resolved` that the ticket is linked to is still open. */
async function trackedElsewhere(book: IncidentBook, deps: CoreDeps, ticketId: string, resolved: string) {
  const linked = await deps.store.ticketIncidents(ticketId);
  for (const id of linked) {
    if (id === resolved) continue;
    const other = await book.getIncident(id);
    if (other && other.state !== "resolved") return true;
  }
  return false;
}

/** The comment a resolve leaves on a ticket: who resolved which incident when. */
function resolvedDoc(incident: Incident, by: string) {
  const at = incident.resolvedAt ?? Date.now();
  return [
    para(
      "Resolved in clawops: incident ",
      { code: incident.id },
      ` (${incident.hosts.join(", ")}; ${incident.severity}) was resolved by ${by} at ${utc(at)} UTC.`,
    ),
  ];
}

async function deliverStep(
  deps: CoreDeps,
  settings: WriteBackSettings,
  book: IncidentBook,
  item: OutboxItem,
): Promise<"sent" | "retrying" | "failed"> {
  const now = deps.clock.now();
  const q = JSON.parse(item.body) as QueuedStep;
  const incident = await book.getIncident(q.incidentId);
  const ticket = await deps.store.getTicket(q.ticketId);
  const attempts = item.attempts + 1;
  const doFetch = settings.fetch ?? fetch;
  try {
    if (!incident || !ticket) throw new ClawopsError("ticket_failed", `ticket ${q.key} or its incident is gone`);
    const config = configFor(settings, ticket);
    if (!config) {
      throw new ClawopsError(
        "ticket_not_configured",
        `${ticket.system === "jira" ? "Jira" : "GitHub"} is not configured here any more`,
      );
    }
    const done = await runStep(q, incident, config, doFetch);
    await book.settleOutbox(item.id, { state: "sent", attempts, doneAt: now, lastError: null });
    if (q.step === "jira:transition" || q.step === "github:close") {
      await deps.store.updateTicket(ticket.id, { state: "closed", updatedAt: now });
    }
    const tries = attempts > 1 ? ` after ${attempts} tries` : "";
    await appendTimeline(deps, book, incident, {
      actor: "clawops",
      kind: "ticket",
      text: `${done}${tries}`,
      ref: ticket.id,
    });
    await auditStep(deps, incident, q, "ok", `${done}${tries}`);
    return "sent";
  } catch (err) {
    const message = errorMessage(err).slice(0, 400);
    const retryAfter = err instanceof TicketHttpError ? err.retryAfterMs : null;
    // Retried as every ticket call is (bundles/tickets.ts): 5xx, 429, GitHub's secondary limit, network.
    const retryable = ticketRetryDelay(err, 0) !== null || (err instanceof TicketHttpError && err.httpStatus === 429);
    const { retry } = await settleFailedTry(book, item, now, {
      error: message,
      retryable,
      retryAfterMs: retryAfter,
      told: true,
    });
    deps.logger.warn("ticket write-back not delivered", { incident: q.incidentId, step: q.step, attempts, retry });
    if (!retry && incident) await auditStep(deps, incident, q, "error", message);
    if (!item.told && incident) await tellOnce(deps, book, incident, q, message, retry, attempts);
    return retry ? "retrying" : "failed";
  }
}

/** One step against its tracker; what was done, in words for the timeline. */
async function runStep(q: QueuedStep, incident: Incident, config: Jira | Github, doFetch: typeof fetch) {
  const doc = resolvedDoc(incident, q.by);
  switch (q.step) {
    case "jira:comment":
      await commentJira(config as Jira, q.key, doc, doFetch);
      return `commented on ${q.key} that the incident is resolved`;
    case "jira:transition": {
      const name = q.transition ?? "";
      const moved = await transitionJira(config as Jira, q.key, name, doFetch);
      return moved === "moved" ? `moved ${q.key} to ${name}` : `${q.key} was done in Jira already`;
    }
    case "github:comment":
      await commentGithub(config as Github, q.key, doc, doFetch);
      return `commented on ${q.key} that the incident is resolved`;
    case "github:close":
      await closeGithubIssue(config as Github, q.key, doFetch);
      return `closed ${q.key} as completed`;
  }
}

const WHAT: Record<Step, string> = {
  "jira:comment": "The resolve's comment on",
  "jira:transition": "The transition of",
  "github:comment": "The resolve's comment on",
  "github:close": "Closing",
};

/** A step's first failure, once in the thread and on the timeline; the resolve itself stands. */
async function tellOnce(
  deps: CoreDeps,
  book: IncidentBook,
  incident: Incident,
  q: QueuedStep,
  message: string,
  retry: boolean,
  attempts: number,
): Promise<void> {
  const text = `⚠️ ${WHAT[q.step]} ${q.key} did not go: ${message}`;
  const next = retry
    ? `clawops retries with backoff (try ${attempts} of ${MAX_ATTEMPTS}); the timeline says what it finally did.`
    : "It is not retried: the tracker refused it (check the ticket settings, `clawops config`).";
  await appendTimeline(deps, book, incident, {
    actor: "clawops",
    kind: "ticket",
    text: `${text}. ${next}`.slice(0, 500),
    ref: q.ticketId,
  });
  if (!incident.channel || !incident.threadTs) return;
  try {
    await deps.chat.postMessage({
      channel: incident.channel,
      threadTs: incident.threadTs,
      text,
      parts: [section(`${escapeMrkdwn(text)}.`), context(`${escapeMrkdwn(next)} The incident stays resolved.`)],
    });
  } catch (err) {
    deps.logger.warn("ticket write-back failure not told in the thread", {
      incident: incident.id,
      err: errorMessage(err),
    });
  }
}

async function auditStep(
  deps: CoreDeps,
  incident: Incident,
  q: QueuedStep,
  outcome: "ok" | "error",
  detail: string,
): Promise<void> {
  await audit(deps, {
    at: deps.clock.now(),
    actor: q.by,
    source: "system",
    action: "ticket.resolve",
    host: incident.hosts[0] ?? null,
    outcome,
    detail: `incident ${incident.id}: ${detail}`.slice(0, 500),
    ref: q.ticketId,
  });
}
