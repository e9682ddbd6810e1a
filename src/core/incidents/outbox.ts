import { errorMessage } from "../../contract/errors.ts";
import { context, escapeMrkdwn, section } from "../messages/build.ts";
import { type PageAction, type PageEvent, pageEventFor } from "../paging/event.ts";
import { pages } from "../paging/policy.ts";
import { PAGER_NAMES, PageDeliveryError, sendPage } from "../paging/targets.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentBook, OutboxItem } from "../ports/incident-book.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { PagerTarget } from "../ports/paging.ts";
import { deliverMirror } from "./mirror-delivery.ts";
import { MIRROR_KIND } from "./mirrors.ts";
import { LEASE_MS, MAX_ATTEMPTS, settleFailedTry } from "./outbox-timing.ts";
import { deliverQueuedPost, POST_KIND } from "./posts.ts";
import { appendTimeline } from "./record.ts";

/**
 * Pages go through the outbox (issue 40, item 8: record first, deliver after), as do escalation
 * steps and the pipeline's thread posts (posts.ts): the incident
 * record is written, then each page is queued in the same store, and a drain sends what is due
 * (Node: the control plane's 5 s sweep, and at once after queueing; Workers: the directory
 * object's alarm). A pager that is down, slow or rate-limited is retried with backoff; one that
 * refuses the page is given up at once; either is said once in the incident's thread and on its
 * timeline. The record never waits on a pager and never has anything to undo.
 */

export { backoffMs, MAX_ATTEMPTS, settleFailedTry } from "./outbox-timing.ts";

/**
 * Queues `incident`'s page move at every configured pager. A trigger only when the paging
 * policy pages it; acknowledge and resolve only for an incident that was triggered. Each move
 * is queued once per incident and pager (the outbox key). Logged, never thrown: paging never
 * stops the record.
 */
export async function queuePage(
  deps: CoreDeps,
  incident: Incident,
  action: PageAction,
  o: { summary?: string; by?: string | null } = {},
): Promise<number> {
  const paging = deps.paging;
  if (!paging) return 0;
  try {
    if (action === "trigger" && !pages(paging.policy, incident)) return 0;
    if (action === "trigger") await queueEscalation(deps, deps.store, incident, 0, 1);
    const triggered = action === "trigger" ? null : await deps.store.listOutbox({ incidentId: incident.id, limit: 50 });
    const now = deps.clock.now();
    let queued = 0;
    for (const target of paging.targets) {
      const kind = `page:${target.kind}`;
      if (triggered && !triggered.some((i) => i.kind === kind && i.key.endsWith(":trigger"))) continue;
      const event = pageEventFor(incident, action, { ...o, url: paging.incidentUrl?.(incident.id) ?? null });
      const added = await deps.store.enqueueOutbox({
        id: deps.ids.id("out"),
        key: `${kind}:${incident.id}:${action}`,
        kind,
        incidentId: incident.id,
        body: JSON.stringify(event),
        nextAt: now,
        createdAt: now,
      });
      if (added) queued++;
    }
    return queued;
  } catch (err) {
    deps.logger.error("page not queued", { incident: incident.id, action, err: errorMessage(err) });
    return 0;
  }
}

/** What an escalation step carries in the outbox. */
interface EscalationStep {
  incidentId: string;
  /** 0-based level of CLAWOPS_ESCALATION_LEVELS. */
  level: number;
  /** 1 … repeat: which announcement of the level. */
  round: number;
}

/**
 * Queues the escalation step `level`/`round` for `incident`, due `afterMs` from now: nothing
 * when no escalation is configured or the levels are exhausted.
 */
async function queueEscalation(
  deps: CoreDeps,
  book: IncidentBook,
  incident: Incident,
  level: number,
  round: number,
): Promise<void> {
  const policy = deps.paging?.escalation;
  if (!policy || level >= policy.levels.length) return;
  const now = deps.clock.now();
  const step: EscalationStep = { incidentId: incident.id, level, round };
  await book.enqueueOutbox({
    id: deps.ids.id("out"),
    key: `escalate:${incident.id}:${level}:${round}`,
    kind: "escalate",
    incidentId: incident.id,
    body: JSON.stringify(step),
    nextAt: now + policy.afterMs,
    createdAt: now,
  });
}

/**
 * An escalation step due: while nobody has acknowledged the incident, it is announced again in
 * its thread with this level's on-call mentioned, and the next step is queued; an acknowledged
 * or resolved incident stops it (said on the timeline).
 */
async function escalate(deps: CoreDeps, book: IncidentBook, item: OutboxItem): Promise<"sent" | "retrying" | "failed"> {
  const now = deps.clock.now();
  const step = JSON.parse(item.body) as EscalationStep;
  const policy = deps.paging?.escalation;
  const incident = await book.getIncident(step.incidentId);
  if (!policy || !incident || incident.state !== "open") {
    await book.settleOutbox(item.id, {
      state: "sent",
      doneAt: now,
      lastError: incident ? `stopped: ${incident.state}` : "stopped: no such incident",
    });
    return "sent";
  }
  const who = (policy.levels[step.level] ?? []).map((id) => (id.startsWith("S") ? `<!subteam^${id}>` : `<@${id}>`));
  const waited = Math.round((now - incident.openedAt) / 60_000);
  const text = `📣 Escalation (level ${step.level + 1}, ${step.round} of ${policy.repeat}): incident ${incident.id} (${incident.severity}) is not acknowledged after ${waited} min: ${incident.title}`;
  if (incident.channel && incident.threadTs) {
    try {
      await deps.chat.postMessage({
        channel: incident.channel,
        threadTs: incident.threadTs,
        text,
        parts: [
          section(
            `📣 ${who.join(" ")} *Escalation* (level ${step.level + 1}, ${step.round} of ${policy.repeat}): incident \`${incident.id}\` (${incident.severity}) is not acknowledged after ${waited} min: ${escapeMrkdwn(incident.title)}.`,
          ),
          context("*I'm on it* in the header (or `/openclaw incident <id> ack`) stops the escalation."),
        ],
      });
    } catch (err) {
      const { retry } = await settleFailedTry(book, item, now, { error: errorMessage(err) });
      return retry ? "retrying" : "failed";
    }
  }
  await book.settleOutbox(item.id, { state: "sent", attempts: item.attempts + 1, doneAt: now });
  await appendTimeline(deps, book, incident, {
    actor: "clawops",
    kind: "escalation",
    text: `escalated to level ${step.level + 1} (${step.round} of ${policy.repeat}): ${(policy.levels[step.level] ?? []).join(", ")}`,
  });
  const next =
    step.round < policy.repeat ? { level: step.level, round: step.round + 1 } : { level: step.level + 1, round: 1 };
  await queueEscalation(deps, book, incident, next.level, next.round);
  return "sent";
}

/** What a drain did, and when the next queued delivery is due (null: none left). */
export interface DrainReport {
  sent: number;
  retrying: number;
  failed: number;
  nextAt: number | null;
}

/** Delivers everything due now (pages, escalation steps, thread posts, mirrors), one at a time, in the order queued. */
export async function drainOutbox(deps: CoreDeps, limit = 20): Promise<DrainReport> {
  const report: DrainReport = { sent: 0, retrying: 0, failed: 0, nextAt: null };
  const now = deps.clock.now();
  const due = await deps.store.claimOutbox(now, now + LEASE_MS, limit);
  for (const item of due) {
    try {
      const outcome = await deliver(deps, deps.store, item);
      report[outcome]++;
    } catch (err) {
      deps.logger.error("outbox delivery not settled", { id: item.id, err: errorMessage(err) });
    }
  }
  const [next] = (await deps.store.listOutbox({ state: "pending", limit: 500 }))
    .map((i) => i.nextAt)
    .sort((a, b) => a - b);
  report.nextAt = next ?? null;
  return report;
}

async function deliver(deps: CoreDeps, book: IncidentBook, item: OutboxItem): Promise<"sent" | "retrying" | "failed"> {
  if (item.kind === "escalate") return escalate(deps, book, item);
  if (item.kind === POST_KIND) return deliverQueuedPost(deps, book, item);
  if (item.kind === MIRROR_KIND) return deliverMirror(deps, book, item);
  if (deps.ticketWriteBack?.owns(item)) return deps.ticketWriteBack.deliver(deps, book, item);
  const now = deps.clock.now();
  const target = deps.paging?.targets.find((t) => `page:${t.kind}` === item.kind);
  const event = JSON.parse(item.body) as PageEvent;
  if (!target) {
    await book.settleOutbox(item.id, {
      state: "failed",
      lastError: `${item.kind} is no longer configured`,
      doneAt: now,
    });
    deps.logger.warn("page dropped: its pager is no longer configured", { incident: item.incidentId, kind: item.kind });
    return "failed";
  }
  // An acknowledge or resolve waits for the same pager's trigger of the same incident.
  const earlier = (await book.listOutbox({ incidentId: item.incidentId ?? "", state: "pending", limit: 50 })).filter(
    (i) => i.kind === item.kind && i.createdAt < item.createdAt && i.id !== item.id,
  );
  if (earlier.length > 0) {
    await book.settleOutbox(item.id, { nextAt: Math.max(...earlier.map((i) => i.nextAt)) + 1 });
    return "retrying";
  }
  const attempts = item.attempts + 1;
  try {
    await sendPage(target, await withThreadLink(deps, book, event), deps.paging?.fetch);
  } catch (err) {
    const e =
      err instanceof PageDeliveryError
        ? err
        : new PageDeliveryError(errorMessage(err), { retryable: true, cause: err });
    const { retry } = await settleFailedTry(book, item, now, {
      error: e.message,
      retryable: e.retryable,
      retryAfterMs: e.retryAfterMs,
      told: true,
    });
    deps.logger.warn("page not delivered", {
      incident: item.incidentId,
      pager: target.kind,
      action: event.action,
      attempts,
      retry,
      err: e.message,
    });
    metricsOf(deps).count("pages_total", {
      pager: target.kind,
      action: event.action,
      outcome: retry ? "retrying" : "failed",
    });
    if (!item.told) await tellOnce(deps, book, item, target, event, e, retry, attempts);
    return retry ? "retrying" : "failed";
  }
  await book.settleOutbox(item.id, { state: "sent", attempts, doneAt: now, lastError: null });
  metricsOf(deps).count("pages_total", { pager: target.kind, action: event.action, outcome: "sent" });
  const incident = item.incidentId ? await book.getIncident(item.incidentId) : null;
  if (incident) {
    await appendTimeline(deps, book, incident, {
      actor: "clawops",
      kind: "page",
      text: `${PAGE_VERB[event.action]} ${PAGER_NAMES[target.kind]} (dedup key ${event.incidentId}, ${event.severity})${attempts > 1 ? ` after ${attempts} tries` : ""}`,
    });
  }
  return "sent";
}

/**
 * A trigger's `links` name the incident's thread (the chat's permalink, when it has one and the
 * thread is posted by now), so the person paged opens it from the pager. Best effort: a page
 * never waits on its link.
 */
async function withThreadLink(deps: CoreDeps, book: IncidentBook, event: PageEvent): Promise<PageEvent> {
  if (event.action !== "trigger" || event.links.length > 0 || !deps.chat.permalink) return event;
  try {
    const incident = await book.getIncident(event.incidentId);
    if (!incident?.channel || !incident.threadTs) return event;
    const href = await deps.chat.permalink(incident.channel, incident.threadTs);
    return { ...event, links: [{ href, text: `Incident thread (${incident.id})` }] };
  } catch (err) {
    deps.logger.warn("page sent without its thread link", { incident: event.incidentId, err: errorMessage(err) });
    return event;
  }
}

const PAGE_VERB: Record<PageAction, string> = {
  trigger: "paged",
  acknowledge: "acknowledged the page at",
  resolve: "resolved the page at",
};

/** The first failure of a page, said once in the incident's thread and on its timeline. */
async function tellOnce(
  deps: CoreDeps,
  book: IncidentBook,
  item: OutboxItem,
  target: PagerTarget,
  event: PageEvent,
  e: PageDeliveryError,
  retry: boolean,
  attempts: number,
): Promise<void> {
  const incident = item.incidentId ? await book.getIncident(item.incidentId) : null;
  if (!incident) return;
  const pager = PAGER_NAMES[target.kind];
  const next = retry
    ? `clawops retries with backoff (try ${attempts} of ${MAX_ATTEMPTS}) and says here only what it finally did.`
    : `${pager} refused it, so it is not retried: check its settings (\`clawops config\`).`;
  const text = `⚠️ ${event.action === "trigger" ? "The page" : `The page's ${event.action}`} to ${pager} did not go: ${e.message}`;
  await appendTimeline(deps, book, incident, { actor: "clawops", kind: "page", text: `${text}. ${next}` });
  if (!incident.channel || !incident.threadTs) return;
  try {
    await deps.chat.postMessage({
      channel: incident.channel,
      threadTs: incident.threadTs,
      text,
      parts: [section(`${escapeMrkdwn(text)}.`), context(`${escapeMrkdwn(next)} The incident record is unaffected.`)],
    });
  } catch (err) {
    deps.logger.warn("page failure not told in the thread", { incident: incident.id, err: errorMessage(err) });
  }
}
