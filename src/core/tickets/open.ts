import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { type Actor, authorize } from "../authz/authz.ts";
import { withRetry } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { noteIncidentEvent } from "../incidents/record.ts";
import { context, section } from "../messages/build.ts";
import { incidentButton } from "../messages/incident-buttons.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { TicketConfig } from "../ports/bundles.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentTicket, TicketSystem } from "../ports/ticket-book.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { type BundleNote, seenAgainDoc, ticketDoc, ticketTitle } from "./content.ts";
import { chooseSystem, refuseSecrets, ticketServices } from "./services.ts";
import { readStory } from "./story.ts";
import { tellThread } from "./thread.ts";
import { bundleForTicket, deliverBundle, type TicketBundle, type TicketRun } from "./ticket-bundle.ts";
import {
  commentGithub,
  commentJira,
  createGithubIssue,
  createJiraIssue,
  githubIssueOpen,
  jiraIssueOpen,
  type OpenedTicket,
} from "./trackers.ts";

/**
 * `/openclaw ticket <incident> new [jira|github]` and the *Open ticket* button (issue 29,
 * item 6). Everything that can be refused is refused before the ack, changing nothing: an
 * unknown incident, a person the authorization file does not allow `ticket`, a ticket system
 * that is not configured, text that looks like it holds a secret, the same problem being
 * ticketed this moment. Then, after the ack: the host's open ticket of the same top finding
 * gets a comment (its tracker asked first whether it is still open), else a new ticket is
 * opened with the summary, findings, timeline and bundle. Jira gets the bundle as an
 * attachment; GitHub a link kept as long as the ticket needs it. Every outcome is told in the
 * thread, written on the timeline and audited.
 */

/** How long opening one host's ticket for one finding holds off a second press. */
const OPENING_CLAIM_MS = 3 * 60_000;

export async function openTicket(
  deps: CoreDeps,
  req: CommandRequest,
  id: string,
  asked: TicketSystem | null,
): Promise<CommandReply> {
  const story = await readStory(deps, id);
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  await authorize(deps.recovery.authz, actor, "ticket");
  const { services, config, book } = ticketServices(deps, req.workspace);
  const system = chooseSystem(config, asked);
  // The words that would leave, scanned before anything is sent (bundles' fail-closed rule).
  await refuseSecrets(ticketTitle(story), ticketDoc(story, { kind: "none", why: "-" }));
  const host = story.incident.hosts[0] ?? "";
  const claim = `ticket-open:${host}:${story.topFinding}`;
  const now = deps.clock.now();
  if (!(await deps.store.claim(claim, now, now + OPENING_CLAIM_MS))) {
    throw new ClawopsError(
      "ticket_busy",
      `A ticket for *${host}* (${story.topFinding}) is being opened right now; its link follows in the incident's thread.`,
      { status: 409 },
    );
  }
  const run: TicketRun = { deps, req, story, system, services, config, book, host };
  return {
    ack: renderNotice(
      `🎫 Opening a ${system === "jira" ? "Jira" : "GitHub"} ticket for incident \`${story.incident.id}\` (${host}; top finding ${story.topFinding}), or commenting on the one already open for it. The link follows in the incident's thread.`,
    ),
    later: async () => {
      try {
        await ticketRun(run);
      } finally {
        await deps.store.release(claim, now + OPENING_CLAIM_MS);
      }
    },
  };
}

async function ticketRun(run: TicketRun): Promise<void> {
  const { deps, story, host } = run;
  try {
    const existing = await run.book.findOpenTicket(host, story.topFinding);
    if (existing && (await stillOpen(run, existing))) {
      await commentOnExisting(run, existing);
      return;
    }
    await openNew(run);
  } catch (err) {
    const message = errorMessage(err);
    deps.logger.warn("ticket not opened", { incident: story.incident.id, err: message });
    await noteIncidentEvent(deps, story.incident, {
      actor: run.req.user,
      kind: "ticket",
      text: `ticket not opened: ${message}`.slice(0, 500),
    });
    await auditTicket(run, "ticket.open", "error", message, null);
    await tellThread(
      deps,
      story.incident,
      `❌ No ticket was opened for incident \`${story.incident.id}\`: ${message}. Nothing was recorded, so \`/openclaw ticket ${story.incident.id} new\` tries again.`,
    );
  }
}

/** Whether a stored open ticket is still open in its tracker; one it says is done is closed here too. */
async function stillOpen(run: TicketRun, t: IncidentTicket): Promise<boolean> {
  const { config, services, deps } = run;
  const doFetch = services.fetch ?? fetch;
  const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
  const open = await withRetry(retry.attempts, retry.baseMs, () => {
    if (t.system === "jira" && config.jira) return jiraIssueOpen(config.jira, t.key, doFetch);
    if (t.system === "github" && config.github) return githubIssueOpen(config.github, t.key, doFetch);
    throw new ClawopsError(
      "ticket_not_configured",
      `${t.key} (${t.system}) tracks this problem, but ${t.system === "jira" ? "Jira" : "GitHub"} is not configured here any more`,
    );
  });
  if (!open) await run.book.updateTicket(t.id, { state: "closed", updatedAt: deps.clock.now() });
  return open;
}

async function commentOnExisting(run: TicketRun, t: IncidentTicket): Promise<void> {
  const { deps, story, config, services } = run;
  const doFetch = services.fetch ?? fetch;
  const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
  const bundle = await bundleForTicket(run, t.system, t.bundleId);
  const doc = seenAgainDoc(story, bundle.note);
  await withRetry(retry.attempts, retry.baseMs, () =>
    t.system === "jira" && config.jira
      ? commentJira(config.jira, t.key, doc, doFetch)
      : commentGithub(config.github as NonNullable<TicketConfig["github"]>, t.key, doc, doFetch),
  );
  await run.book.linkTicket(story.incident.id, t.id, "commented", deps.clock.now());
  await noteIncidentEvent(deps, story.incident, {
    actor: run.req.user,
    kind: "ticket",
    text: `commented on ${t.key} (already open for ${run.host} and ${story.topFinding}) instead of opening a second ticket`,
    ref: t.id,
  });
  await auditTicket(run, "ticket.comment", "ok", `commented on ${t.key}`, t.id);
  // The link at once; the bundle follows when it is attached or collected (issue 41, item 4).
  await postInThread(run, {
    text: `🎫 ${run.host}'s ${story.topFinding} is already tracked in ${t.key}: commented there with this incident's summary, findings and timeline instead of opening a second ticket.`,
    ticket: t,
    bundle: beforeDelivery(bundle),
  });
  await tellBundleDelivered(run, t, bundle, await deliverBundle(run, t, bundle));
}

async function openNew(run: TicketRun): Promise<void> {
  const { deps, story, config, services, system } = run;
  const doFetch = services.fetch ?? fetch;
  const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
  const bundle = await bundleForTicket(run, system, null);
  const title = ticketTitle(story);
  const doc = ticketDoc(story, bundle.note);
  // A create is retried only after a rate limit: after a 5xx the ticket may exist already.
  const opened: OpenedTicket = await withRetry(
    retry.attempts,
    retry.baseMs,
    () =>
      system === "jira"
        ? createJiraIssue(
            config.jira as NonNullable<TicketConfig["jira"]>,
            { title, doc, labels: ["clawops", story.topFinding] },
            doFetch,
          )
        : createGithubIssue(config.github as NonNullable<TicketConfig["github"]>, { title, doc }, doFetch),
    undefined,
    true,
  );
  const now = deps.clock.now();
  const stored = await run.book.insertTicket({
    id: deps.ids.id("tkt"),
    incidentId: story.incident.id,
    system,
    key: opened.key,
    url: opened.url,
    host: run.host,
    finding: story.topFinding,
    state: "open",
    openedAt: now,
    openedBy: run.req.user,
    updatedAt: now,
    bundleId: bundle.note.kind === "linked" ? bundle.note.id : null,
    keptUntil: bundle.note.kind === "linked" ? bundle.note.until : null,
  });
  if (stored.key !== opened.key) {
    // Only when the opening claim expired mid-call: say so rather than hide the second ticket.
    deps.logger.warn("a second ticket was opened for one problem", { first: stored.key, second: opened.key });
  }
  await noteIncidentEvent(deps, story.incident, {
    actor: run.req.user,
    kind: "ticket",
    text: `opened ${opened.key} (${system === "jira" ? "Jira" : "GitHub"})${opened.url ? ` ${opened.url}` : ""}`,
    ref: stored.id,
  });
  await auditTicket(run, "ticket.open", "ok", `opened ${opened.key}`, stored.id);
  const ticket: IncidentTicket = { ...stored, key: opened.key, url: opened.url };
  // The link at once; the bundle follows when it is attached or collected (issue 41, item 4): a
  // bundle job runs for tens of seconds, and the people in the thread want the ticket now.
  await postInThread(run, {
    text: `🎫 Opened ${opened.key} for incident \`${story.incident.id}\` with its summary, findings and timeline.`,
    ticket,
    bundle: beforeDelivery(bundle),
  });
  await tellBundleDelivered(run, ticket, bundle, await deliverBundle(run, ticket, bundle));
}

/** What the thread's first message says of the bundle, before it is delivered. */
function beforeDelivery(bundle: TicketBundle): BundleNote | { kind: "attaching"; id: string } {
  return bundle.attach ? { kind: "attaching", id: bundle.attach.id } : bundle.note;
}

/**
 * The bundle's delivery, said in the thread once done: an attachment that went or failed, or a
 * collection that could not start. A collected bundle's delivery is said by its own job
 * (bundles/bundle.ts), a linked one was in the first message already.
 */
async function tellBundleDelivered(
  run: TicketRun,
  t: IncidentTicket,
  bundle: TicketBundle,
  outcome: BundleNote | null,
): Promise<void> {
  if (bundle.attach && !outcome) {
    await tellThread(run.deps, run.story.incident, `📎 Bundle \`${bundle.attach.id}\` is attached to ${t.key}.`);
  } else if (outcome?.kind === "none") {
    await tellThread(run.deps, run.story.incident, `⚠️ No bundle on ${t.key}: ${outcome.why}.`);
  }
}

/** The thread's message: what was done, the link, and the buttons that follow from it. */
async function postInThread(
  run: TicketRun,
  what: { text: string; ticket: IncidentTicket; bundle: BundleNote | { kind: "attaching"; id: string } },
): Promise<void> {
  const { deps, story } = run;
  const t = what.ticket;
  const bundleLine =
    what.bundle.kind === "attached"
      ? `Bundle \`${what.bundle.id}\` attached.`
      : what.bundle.kind === "attaching"
        ? `Bundle \`${what.bundle.id}\` is being attached; said here when it is.`
        : what.bundle.kind === "linked"
          ? `Bundle \`${what.bundle.id}\` linked, kept until ${new Date(what.bundle.until).toISOString().slice(0, 10)}.`
          : what.bundle.kind === "collecting"
            ? `A bundle is being collected${what.bundle.jobId ? ` (job \`${what.bundle.jobId}\`)` : ""}; it goes to ${t.key} when stored.`
            : `No bundle: ${what.bundle.why}.`;
  const renewable = t.system === "github" && (what.bundle.kind === "linked" || what.bundle.kind === "collecting");
  const message: Message = {
    text: what.text,
    parts: [
      section(`${what.text}\n${t.url ? `<${t.url}|${t.key}>` : t.key} · ${bundleLine}`),
      ...(renewable
        ? [
            {
              kind: "actions" as const,
              id: "clawops_ticket_actions",
              buttons: [incidentButton("ticket-renew", story.incident.id)],
            },
          ]
        : []),
      context(`\`/openclaw postmortem ${story.incident.id} --ticket\` attaches the postmortem draft to it.`),
    ],
  };
  await tellThread(deps, story.incident, message);
}

async function auditTicket(
  run: TicketRun,
  action: string,
  outcome: "ok" | "error",
  detail: string,
  ref: string | null,
): Promise<void> {
  await audit(run.deps, {
    at: run.deps.clock.now(),
    actor: run.req.user,
    source: run.req.source,
    action,
    host: run.host,
    outcome,
    detail: `incident ${run.story.incident.id}: ${detail}`.slice(0, 500),
    ref: ref ?? run.story.incident.id,
  });
}
