import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { createJob } from "../jobs/create.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentCounter, IncidentEventKind, IncidentPhase } from "../ports/incident-book.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { IncidentRecord, JobRecord } from "../ports/store.ts";
import { refreshIncidentHeader, renderLiveHeader } from "./header.ts";
import { queuePage } from "./outbox.ts";
import { appendTimeline, incidentBook, linkThread, moveIncident } from "./record.ts";
import {
  ANNOUNCEMENT,
  COUNTER,
  type CountedSignal,
  type DecidedSignal,
  type IncidentSignal,
  type MutedSignal,
  type RaisedIncident,
  type Taken,
  TIMELINE_KIND,
  type TriageOutcome,
  type UnroutedIncident,
} from "./signal.ts";
import { recordFate } from "./stages/fate.ts";
import { announceFleet, tellGrouped } from "./stages/fleet.ts";
import { mutedBy } from "./stages/mute.ts";
import { pageStage } from "./stages/page.ts";
import { routeIncident } from "./stages/route.ts";
import { NAMED_ON_TIMELINE, takeSignal, uncount } from "./stages/storm.ts";
import { openIncidentThread, renderIncidentHeader } from "./thread.ts";

/**
 * The one way an incident starts or grows, whatever raised it: a person's command, an alert, a
 * held watch transition, an agent gone silent. The source decides whether its signal is news to
 * it (an alert's dedupe, the watch's two probes); this pipeline then decides whether it is news
 * to the incident, routes the channel, queues the triage, opens or reuses the thread, posts the
 * announcement, audits, writes the record, and hands back the triage to start.
 *
 * The storm guard: an automatic signal for a host whose incident is open is news only when it is
 * the first of its kind there, or the first failure after the incident recovered. Every other one
 * is counted on the record and shown by editing the incident's header (incidents/header.ts): no
 * post, no triage, no audit row, however many arrive.
 *
 * Built as stages (issue 40, item 8; Alertmanager's notify/ stages are the model), one file each
 * under stages/: route, mute (maintenance freezes, snoozes), storm (the guard above, the record
 * taken atomically), fleet (grouping), fate (every signal's verdict stored), page (queued in the
 * outbox after the record). `decideSignal` runs the deciding stages and returns one verdict
 * (`DecidedSignal`); `raiseIncident` writes the record first and delivers after.
 */

// The stages' vocabulary, where the sources have always found it.
export type {
  CountedSignal,
  DecidedSignal,
  IncidentSignal,
  IncidentSource,
  MutedSignal,
  RaisedIncident,
  Taken,
  TriageAsk,
  TriageOutcome,
  UnroutedIncident,
} from "./signal.ts";
export { recordFate } from "./stages/fate.ts";
export { snoozeHolds } from "./stages/mute.ts";
export { routeIncident } from "./stages/route.ts";
export { NAMED_ON_TIMELINE } from "./stages/storm.ts";

/** Routes a signal, applies mute and snooze, and takes it on the record (decided in turn). */
export async function decideSignal(deps: CoreDeps, signal: IncidentSignal): Promise<DecidedSignal> {
  const channel = signal.channel ?? (await routeIncident(deps, signal.host));
  const book = incidentBook(deps);
  if (!channel) {
    await recordFate(deps, signal, "unrouted", null, "no incident channel for this host");
    return { status: "unrouted" };
  }
  if (signal.source !== "command") {
    const by = await mutedBy(deps, book, signal);
    if (by) {
      await recordFate(deps, signal, by.startsWith("the snooze") ? "snoozed" : "muted", null, by);
      return { status: "muted", channel, by };
    }
  }
  let taken: Taken | null = null;
  if (book) {
    try {
      taken = await decideInTurn(deps, () => takeSignal(deps, book, signal, channel));
    } catch (err) {
      // The record is bookkeeping: the signal's post and triage matter more.
      deps.logger.error("incident record not written", { host: signal.host, err: errorMessage(err) });
    }
  }
  return { status: taken?.counted ? "counted" : "news", channel, taken };
}

/**
 * Raises a signal: routes it; unless it is only counted (the storm guard above), queues its
 * triage, announces it in the host's thread, audits it and writes it on the record. The triage
 * is recorded before the message that announces it is posted; when that message cannot be posted
 * (the chat client has retried what it could), the job ends `rejected` instead of running
 * unannounced, and the error is thrown for the source to act on (an alert gives its claims back,
 * so its next repeat tries again). `decided`: what decideSignal made of this very signal earlier.
 */
export function raiseIncident(
  deps: CoreDeps,
  signal: IncidentSignal & { channel: string },
  decided?: DecidedSignal,
): Promise<RaisedIncident | CountedSignal | MutedSignal>;
export function raiseIncident(
  deps: CoreDeps,
  signal: IncidentSignal,
  decided?: DecidedSignal,
): Promise<RaisedIncident | CountedSignal | MutedSignal | UnroutedIncident>;
export async function raiseIncident(
  deps: CoreDeps,
  signal: IncidentSignal,
  decided?: DecidedSignal,
): Promise<RaisedIncident | CountedSignal | MutedSignal | UnroutedIncident> {
  const d = decided ?? (await decideSignal(deps, signal));
  if (d.status === "unrouted" || d.status === "muted") return d;
  const { channel, taken } = d;
  const book = incidentBook(deps);
  let incident: Incident | null = null;
  let opened = false;
  if (book && taken) {
    try {
      // Record first, deliver after: the page stage queues its pages once the record holds it.
      await pageStage(deps, book, signal, taken);
      await recordFate(
        deps,
        signal,
        taken.fleet || taken.incident.source === "fleet"
          ? "grouped"
          : taken.counted
            ? "counted"
            : taken.opened
              ? "opened"
              : "news",
        taken.incident.id,
        taken.counted ? "the incident already told of it" : null,
      );
      if (taken.fleet) await announceFleet(deps, taken.fleet, signal);
      if (taken.parent) await refreshIncidentHeader(deps, taken.parent);
      if (taken.counted) {
        // Named on the timeline while a storm is young; after that only counted.
        if (taken.incident.counts[COUNTER[signal.source]] <= NAMED_ON_TIMELINE) {
          const text = signal.summary ?? signal.announce?.("none").text ?? `${signal.source} signal`;
          await appendTimeline(deps, book, taken.incident, {
            actor: signal.actor,
            kind: TIMELINE_KIND[signal.source],
            text: `${text} (counted: the incident already told of it)`,
          });
        }
        await refreshIncidentHeader(deps, taken.incident);
        return { status: "counted", channel, incident: taken.incident };
      }
      incident = taken.incident;
      opened = taken.opened;
    } catch (err) {
      // The record is bookkeeping: the signal's post and triage matter more.
      deps.logger.error("incident record not written", { host: signal.host, err: errorMessage(err) });
    }
  }
  let job: JobRecord | null = null;
  let triage: TriageOutcome = "none";
  let error: unknown;
  const ask = signal.triage;
  if (ask) {
    try {
      job = await createJob(deps, "triage", {
        host: signal.host,
        channel,
        user: signal.actor,
        requestKey: ask.requestKey,
      });
      triage = job ? "queued" : "duplicate";
    } catch (err) {
      triage = "failed";
      error = err;
      deps.logger.error("incident triage not queued", {
        host: signal.host,
        source: signal.source,
        err: errorMessage(err),
      });
    }
  }
  let thread: IncidentRecord | null = null;
  let said: Message | null = null;
  if (signal.announce) {
    try {
      thread = await incidentThread(deps, { channel, host: signal.host, actor: signal.actor });
      said = signal.announce(triage);
      await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...said });
    } catch (err) {
      // Not told: the record takes the signal back, so its next repeat is news again.
      if (book && incident) await uncount(deps, book, incident, signal);
      if (job) {
        await deps.store.updateJob(job.id, {
          status: "rejected",
          finishedAt: deps.clock.now(),
          detail:
            `Not run: ${ANNOUNCEMENT[signal.source]} could not be posted in <#${channel}>. ${errorMessage(err)}`.slice(
              0,
              2_000,
            ),
        });
      }
      throw err;
    }
  }
  const audited = signal.audit?.(triage);
  if (audited) {
    await audit(deps, {
      at: deps.clock.now(),
      actor: signal.actor,
      source: "system",
      host: signal.host,
      ref: job?.id ?? null,
      ...audited,
    });
  }
  if (book && incident) {
    await appendTimeline(deps, book, incident, {
      actor: signal.actor,
      kind: TIMELINE_KIND[signal.source],
      text: audited?.detail ?? said?.text ?? (job ? `triage requested (job ${job.id})` : "triage requested"),
      ref: job?.id ?? null,
    });
    // An incident opened by this signal has its header as posted; on an open one, it changed.
    if (!opened) await refreshIncidentHeader(deps, incident, { force: true });
    // Grouped into a fleet incident while its thread was being posted: say so now.
    if (thread && (await book.getIncident(incident.id))?.parentId) await tellGrouped(deps, incident.id);
  }
  const queued = job;
  const replyTo = ask?.responseUrl ? { responseUrl: ask.responseUrl } : {};
  return {
    status: "raised",
    channel,
    thread,
    incident,
    triage,
    job,
    // Node: runs the triage in this process, in the host's turn; Workers: hands it to the host's object.
    later: queued ? () => deps.jobs.start(deps, { kind: "triage", job: queued, ...replyTo }) : null,
    ...(triage === "failed" ? { error } : {}),
  };
}

/**
 * Decisions on automatic signals are taken one at a time per store in this process, so that
 * the hosts of a storm arriving at once see each other's incidents (the third host of a group
 * finds the first two). The posting after a decision is not held.
 */
const deciding = new WeakMap<object, Promise<unknown>>();

function decideInTurn<T>(deps: CoreDeps, decide: () => Promise<T>): Promise<T> {
  const prev = deciding.get(deps.store) ?? Promise.resolve();
  const next = prev.then(decide, decide);
  deciding.set(
    deps.store,
    next.catch(() => {}),
  );
  return next;
}

/**
 * Says something in the host's open incident (a recovery, every alert resolved, a flap summary):
 * posted in its thread when there is one, else nothing (null). `phase` moves the incident's
 * phase and edits its header. Post failures are thrown.
 */
export async function noteIncident(
  deps: CoreDeps,
  where: { host: string; channel?: string },
  message: Message,
  /** Who said it and what it is, for the incident record's timeline (default: clawops, a note). */
  entry: { actor?: string; kind?: IncidentEventKind; phase?: IncidentPhase } = {},
): Promise<IncidentRecord | null> {
  const channel = where.channel ?? (await routeIncident(deps, where.host));
  if (!channel) return null;
  const book = incidentBook(deps);
  const incident = book ? await book.findOpenIncident(where.host).catch(() => null) : null;
  if (book && incident?.source === "fleet" && !incident.hosts.includes(where.host)) return null;
  const thread = await deps.store.findIncident(channel, where.host);
  if (!thread) return null;
  await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...message });
  if (book && incident) {
    await appendTimeline(deps, book, incident, {
      actor: entry.actor ?? "clawops",
      kind: entry.kind ?? "note",
      text: message.text,
    });
    if (entry.phase && entry.phase !== incident.phase) await movePhase(deps, incident, entry.phase);
  }
  return thread;
}

/** Moves the host's open incident to `phase` (a recovery started, the watch saw it healthy) and edits its header. */
export async function markIncidentPhase(deps: CoreDeps, host: string, phase: IncidentPhase): Promise<void> {
  const book = incidentBook(deps);
  if (!book) return;
  try {
    const incident = await book.findOpenIncident(host);
    if (incident && incident.phase !== phase) await movePhase(deps, incident, phase);
  } catch (err) {
    deps.logger.error("incident phase not written", { host, err: errorMessage(err) });
  }
}

async function movePhase(deps: CoreDeps, incident: Incident, phase: IncidentPhase): Promise<void> {
  const book = incidentBook(deps);
  const moved = await book?.updateIncident(incident.id, ["open", "acknowledged"], { phase });
  if (moved) await refreshIncidentHeader(deps, moved, { force: true });
}

/**
 * Counts signals on the host's open incident without posting (resolved alerts while others
 * still fire); the incident after, or null when none is open. Its header is edited (held to
 * the edit interval).
 */
export async function countOnIncident(
  deps: CoreDeps,
  host: string,
  delta: Partial<Record<IncidentCounter, number>>,
): Promise<Incident | null> {
  const book = incidentBook(deps);
  if (!book) return null;
  try {
    const incident = await book.findOpenIncident(host);
    if (!incident) return null;
    const counted = (await book.countIncident(incident.id, delta, deps.clock.now())) ?? incident;
    await refreshIncidentHeader(deps, counted);
    return counted;
  } catch (err) {
    deps.logger.error("incident counts not written", { host, err: errorMessage(err) });
    return null;
  }
}

/**
 * "I'm on it" (`acknowledged`, the actor its owner) or "Resolve": moves the record (record.ts
 * refuses a second resolve), edits the header to say so, and on resolve lets the host's thread
 * go, so its next incident opens one of its own; the host incidents grouped into a resolved
 * fleet incident are resolved with it. The caller authorizes and audits.
 */
export async function moveIncidentAndTell(
  deps: CoreDeps,
  id: string,
  to: "acknowledged" | "resolved",
  actor: string,
  /** `page: false`: the move came from the pager itself (its webhook), so it is not sent back. */
  opts: { page?: boolean } = {},
): Promise<Incident> {
  const before = await incidentBook(deps)?.getIncident(id);
  const moved = await moveIncident(deps, id, to, actor);
  await refreshIncidentHeader(deps, moved, { force: true });
  observeTimes(deps, before ?? null, moved);
  if (opts.page !== false) {
    await queuePage(deps, moved, to === "acknowledged" ? "acknowledge" : "resolve", { by: actor });
  }
  if (to !== "resolved") return moved;
  // Tickets both ways: the incident's Jira and GitHub tickets hear of it, through the outbox.
  await deps.ticketWriteBack?.queueResolve(deps, moved, actor);
  if (moved.channel && moved.threadTs) {
    for (const host of moved.hosts) await deps.store.forgetIncidentThread(moved.channel, host, moved.threadTs);
  }
  const book = incidentBook(deps);
  const members = (await book?.listIncidents({ open: true, limit: 500 })) ?? [];
  for (const member of members.filter((m) => m.parentId === id)) {
    await moveIncidentAndTell(deps, member.id, "resolved", actor, opts).catch((err: unknown) =>
      deps.logger.warn("grouped incident not resolved with its fleet incident", {
        incident: member.id,
        err: errorMessage(err),
      }),
    );
  }
  return moved;
}

/** MTTA and MTTR (issue 40, item 7): observed once each, when the incident first is acknowledged and resolved. */
export function observeTimes(deps: CoreDeps, before: Incident | null, after: Incident): void {
  const labels = { source: after.source, severity: after.severity };
  if (before?.acknowledgedAt === null && after.acknowledgedAt !== null) {
    metricsOf(deps).observe("incident_ack_seconds", labels, (after.acknowledgedAt - after.openedAt) / 1000);
  }
  if (before?.state !== "resolved" && after.state === "resolved" && after.resolvedAt !== null) {
    metricsOf(deps).observe("incident_resolve_seconds", labels, (after.resolvedAt - after.openedAt) / 1000);
  }
}

/**
 * The host's incident thread in `channel`, opened with its header when there is none: the one
 * way anything gets a thread to post in (a triage's progress, a bundle, a freeze notice, the
 * recover runbook, a lost job's notice). The header is the host's open incident's (edited in
 * place as it changes), or a plain one when none is open; an open incident without a thread yet
 * (a command's triage opens it in its own turn) learns this one.
 */
export async function incidentThread(
  deps: CoreDeps,
  where: { channel: string; host: string; actor: string },
): Promise<IncidentRecord> {
  const book = incidentBook(deps);
  const incident = book ? await book.findOpenIncident(where.host).catch(() => null) : null;
  const own = incident && incident.source !== "fleet" ? incident : null;
  let posted = false;
  const thread = await openIncidentThread(deps, where.channel, where.host, () => {
    posted = true;
    return own
      ? renderLiveHeader(own, deps.clock.now())
      : renderIncidentHeader(where.host, where.actor, deps.clock.now());
  });
  if (own && !own.threadTs) {
    const linked = await linkThread(deps, own, { channel: thread.channel, threadTs: thread.threadTs }, posted);
    // A thread that was there before (a freeze's) gets this incident's header now.
    if (linked && !posted) await refreshIncidentHeader(deps, linked, { force: true });
  }
  return thread;
}

/** The host's incident thread in its routed channel, if one is open. */
export async function findHostIncident(deps: CoreDeps, host: string): Promise<IncidentRecord | null> {
  const channel = await routeIncident(deps, host);
  return channel ? deps.store.findIncident(channel, host) : null;
}
