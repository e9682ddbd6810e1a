import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { createJob } from "../jobs/create.ts";
import { clip } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentCounter, IncidentEventKind, IncidentPhase } from "../ports/incident-book.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { IncidentThread, JobRecord } from "../ports/store.ts";
import { archiveIncidentChannel, openChannelByPolicy } from "./channel.ts";
import { refreshIncidentHeader } from "./header.ts";
import { incidentThread } from "./host-thread.ts";
import { queuePage } from "./outbox.ts";
import { postInThread } from "./posts.ts";
import { appendTimeline, moveIncident } from "./record.ts";
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
import { NAMED_ON_TIMELINE, takeSignal } from "./stages/storm.ts";

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

export { findHostIncident, incidentThread } from "./host-thread.ts";
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
  if (!channel) {
    await recordFate(deps, signal, "unrouted", null, "no incident channel for this host");
    return { status: "unrouted" };
  }
  if (signal.source !== "command") {
    const by = await mutedBy(deps, deps.store, signal);
    if (by) {
      await recordFate(deps, signal, by.startsWith("the snooze") ? "snoozed" : "muted", null, by);
      return { status: "muted", channel, by };
    }
  }
  let taken: Taken | null = null;
  try {
    taken = await decideInTurn(deps, () => takeSignal(deps, deps.store, signal, channel));
  } catch (err) {
    // The record is bookkeeping: the signal's post and triage matter more.
    deps.logger.error("incident record not written", { host: signal.host, err: errorMessage(err) });
  }
  return { status: taken?.counted ? "counted" : "news", channel, taken };
}

/**
 * Raises a signal: routes it; unless it is only counted (the storm guard above), writes it on
 * the record, queues its triage, announces it in the host's thread, and audits it. Record first,
 * deliver after: the announcement goes through the outbox (posts.ts), tried at once; when the
 * chat fails (its client has retried what it could) the post stays queued and is tried again
 * with backoff, the signal stays counted, and its triage waits for it (started by its delivery,
 * `later` is null). Only a signal whose record could not be written posts directly, and then a
 * failed post ends the triage `rejected` and is thrown. `decided`: what decideSignal made of this very
 * signal earlier.
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
  let incident: Incident | null = null;
  let opened = false;
  let fleetId: string | null = null;
  if (taken) {
    try {
      // Record first, deliver after: the page stage queues its pages once the record holds it.
      await pageStage(deps, deps.store, signal, taken);
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
      fleetId = taken.fleet?.incident.id ?? null;
      if (taken.parent) await refreshIncidentHeader(deps, taken.parent);
      if (taken.counted) {
        // Named on the timeline while a storm is young; after that only counted.
        if (taken.incident.counts[COUNTER[signal.source]] <= NAMED_ON_TIMELINE) {
          const text = signal.summary ?? signal.announce?.("none").text ?? `${signal.source} signal`;
          await appendTimeline(deps, deps.store, taken.incident, {
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
  let thread: IncidentThread | null = null;
  let said: Message | null = null;
  /** The announcement is queued, not posted yet: its triage waits for it (posts.ts). */
  let waiting = false;
  if (signal.announce) {
    said = signal.announce(triage);
    const post = { channel, host: signal.host, actor: signal.actor, message: said, what: ANNOUNCEMENT[signal.source] };
    const attempt = incident
      ? await postInThread(deps, deps.store, incident, { ...post, jobId: job?.id ?? null }).catch((err: unknown) => {
          // The outbox could not be written: posted directly instead, as when the record could not be.
          deps.logger.error("incident post not queued", { host: signal.host, err: errorMessage(err) });
          return null;
        })
      : null;
    if (attempt) {
      thread = attempt.thread;
      waiting = !attempt.delivered;
    } else {
      try {
        thread = await incidentThread(deps, { channel, host: signal.host, actor: signal.actor });
        await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...said });
      } catch (err) {
        // No record to hold the post for a retry: the triage does not run unannounced.
        if (job) {
          await deps.store.updateJob(job.id, {
            status: "rejected",
            finishedAt: deps.clock.now(),
            detail: `Not run: ${post.what} could not be posted in <#${channel}>. ${errorMessage(err)}`.slice(0, 2_000),
          });
        }
        throw err;
      }
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
  if (incident) {
    await appendTimeline(deps, deps.store, incident, {
      actor: signal.actor,
      kind: TIMELINE_KIND[signal.source],
      text: audited?.detail ?? said?.text ?? (job ? `triage requested (job ${job.id})` : "triage requested"),
      ref: job?.id ?? null,
    });
    // An incident opened by this signal has its header as posted; on an open one, it changed.
    if (!opened) await refreshIncidentHeader(deps, incident, { force: true });
    // Grouped into a fleet incident while its thread was being posted: say so now.
    if (thread && (await deps.store.getIncident(incident.id))?.parentId) await tellGrouped(deps, incident.id);
  }
  // Its own channel, when the policy wants one (issue 41, item 2); never throws.
  await openChannelByPolicy(deps, incident?.id);
  await openChannelByPolicy(deps, fleetId);
  const queued = waiting ? null : job;
  const replyTo = ask?.responseUrl ? { responseUrl: ask.responseUrl } : {};
  return {
    status: "raised",
    channel,
    thread,
    incident,
    triage,
    job,
    // Node: runs the triage in this process, in the host's turn; Workers: hands it to the host's object.
    // A triage whose announcement is queued for a retry is started by its delivery instead.
    later: queued ? () => deps.jobs.start(deps, { kind: "triage", job: queued, ...replyTo }) : null,
    ...(triage === "failed" ? { error } : {}),
  };
}

/**
 * Decisions on automatic signals are taken one at a time in this process (the scheduler's turns,
 * ports/turns.ts), so that the hosts of a storm arriving at once see each other's incidents (the
 * third host of a group finds the first two). The posting after a decision is not held.
 */
function decideInTurn<T>(deps: CoreDeps, decide: () => Promise<T>): Promise<T> {
  return deps.jobs.inTurn("incidents:decide", decide);
}

/**
 * Says something in the host's open incident (a recovery, every alert resolved, a flap summary):
 * in its thread when there is one, else nothing (null). `phase` moves the incident's phase and
 * edits its header. With an open incident, the record is written first and the post goes
 * through the outbox (tried at once, retried with backoff: posts.ts); without one (or when it
 * could not be read), the post is direct and a failed post is thrown.
 */
export async function noteIncident(
  deps: CoreDeps,
  where: { host: string; channel?: string },
  message: Message,
  /** Who said it and what it is, for the incident record's timeline (default: clawops, a note). */
  entry: { actor?: string; kind?: IncidentEventKind; phase?: IncidentPhase } = {},
): Promise<IncidentThread | null> {
  const channel = where.channel ?? (await routeIncident(deps, where.host));
  if (!channel) return null;
  const incident = await deps.store.findOpenIncident(where.host).catch(() => null);
  if (incident?.source === "fleet" && !incident.hosts.includes(where.host)) return null;
  const thread = await deps.store.findIncident(channel, where.host);
  if (!thread) return null;
  const actor = entry.actor ?? "clawops";
  if (!incident) {
    await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...message });
    return thread;
  }
  await appendTimeline(deps, deps.store, incident, { actor, kind: entry.kind ?? "note", text: message.text });
  if (entry.phase && entry.phase !== incident.phase) await movePhase(deps, incident, entry.phase);
  const post = { channel, host: where.host, actor, message, jobId: null, what: `the note "${clip(message.text, 80)}"` };
  await postInThread(deps, deps.store, incident, post).catch(async (err: unknown) => {
    deps.logger.error("incident post not queued", { host: where.host, err: errorMessage(err) });
    await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...message });
  });
  return thread;
}

/** Moves the host's open incident to `phase` (a recovery started, the watch saw it healthy) and edits its header. */
export async function markIncidentPhase(deps: CoreDeps, host: string, phase: IncidentPhase): Promise<void> {
  try {
    const incident = await deps.store.findOpenIncident(host);
    if (incident && incident.phase !== phase) await movePhase(deps, incident, phase);
  } catch (err) {
    deps.logger.error("incident phase not written", { host, err: errorMessage(err) });
  }
}

async function movePhase(deps: CoreDeps, incident: Incident, phase: IncidentPhase): Promise<void> {
  const moved = await deps.store.updateIncident(incident.id, ["open", "acknowledged"], { phase });
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
  try {
    const incident = await deps.store.findOpenIncident(host);
    if (!incident) return null;
    const counted = (await deps.store.countIncident(incident.id, delta, deps.clock.now())) ?? incident;
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
  const before = await deps.store.getIncident(id);
  const moved = await moveIncident(deps, id, to, actor);
  await refreshIncidentHeader(deps, moved, { force: true });
  observeTimes(deps, before ?? null, moved);
  if (opts.page !== false) {
    await queuePage(deps, moved, to === "acknowledged" ? "acknowledge" : "resolve", { by: actor });
  }
  if (to !== "resolved") return moved;
  // Its channel, archived when opted in (CLAWOPS_INCIDENT_CHANNEL_ARCHIVE), its header there edited first.
  await archiveIncidentChannel(deps, moved, actor);
  // Tickets both ways: the incident's Jira and GitHub tickets hear of it, through the outbox.
  await deps.ticketWriteBack?.queueResolve(deps, moved, actor);
  if (moved.channel && moved.threadTs) {
    for (const host of moved.hosts) await deps.store.forgetIncidentThread(moved.channel, host, moved.threadTs);
  }
  const members = await deps.store.listIncidents({ open: true, limit: 500 });
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
