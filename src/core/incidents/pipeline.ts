import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { createJob } from "../jobs/create.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentEventKind } from "../ports/incident-book.ts";
import type { NewAuditEntry } from "../ports/recovery.ts";
import type { IncidentRecord, JobRecord } from "../ports/store.ts";
import { linkThread, noteTimeline, recordSignal } from "./record.ts";
import { incidentChannelFor } from "./routing.ts";
import { openIncidentThread } from "./thread.ts";

/**
 * The one way an incident starts or grows, whatever raised it: a person's command, an alert, a
 * held watch transition. The source decides whether its signal is news (an alert's dedupe, the
 * watch's two probes); this pipeline then routes the channel, queues the triage, opens or reuses
 * the host's thread, posts the announcement, audits, and hands back the triage to start.
 */

/** What raised a signal. */
export type IncidentSource = "command" | "alert" | "watch";

/** The timeline entry each source's signal writes on the incident record. */
const TIMELINE_KIND: Record<IncidentSource, IncidentEventKind> = {
  command: "triage",
  alert: "alert.firing",
  watch: "watch",
};

/** What a rejected job's detail calls the message that could not announce it. */
const ANNOUNCEMENT: Record<IncidentSource, string> = {
  command: "its announcement",
  alert: "the alert's message",
  watch: "the watch's message",
};

/** What became of a signal's triage: queued, already queued by this very request, not queued, none asked. */
export type TriageOutcome = "queued" | "duplicate" | "failed" | "none";

export interface IncidentSignal {
  source: IncidentSource;
  host: string;
  /** Who raised it: a Slack user id, `console`, `Alertmanager`, `clawops watch`. Opens the thread as them. */
  actor: string;
  /** The channel it belongs in: where a command was typed, or an alert already routed. Else routed by host. */
  channel?: string;
  /**
   * A triage to queue. `requestKey` is its idempotency key: the same key never queues a second
   * one (a Slack retry, the same failure seen again). `responseUrl`: where its asker is told when
   * the thread cannot be written.
   */
  triage?: { requestKey: string; responseUrl?: string };
  /**
   * What to post in the host's thread, told what became of the triage (so it never says one
   * follows when none was queued). Absent: no thread is opened now (a command's triage opens
   * it in its own turn, with its progress message).
   */
  announce?: (triage: TriageOutcome) => Message;
  /** The audit row (action, outcome, detail), told the same; absent: the source audits itself. */
  audit?: (triage: TriageOutcome) => Pick<NewAuditEntry, "action" | "outcome" | "detail">;
}

export interface RaisedIncident {
  status: "raised";
  channel: string;
  /** The host's thread, when the signal announced something in it. */
  thread: IncidentRecord | null;
  triage: TriageOutcome;
  /** The queued triage job, if one was queued now. */
  job: JobRecord | null;
  /** Starts the queued triage in its host's turn: the caller chooses when (after an ack: the `later` half). */
  later: (() => Promise<void>) | null;
  /** Why the triage could not be queued (`failed`). */
  error?: unknown;
}

/** No channel for this host: nothing was queued or posted (the caller says so in the log). */
export type UnroutedIncident = { status: "unrouted" };

/**
 * Raises a signal: routes it, queues its triage, announces it in the host's thread and audits
 * it. The triage is recorded before the message that announces it is posted; when that message
 * cannot be posted (the chat client has retried what it could), the job ends `rejected` instead
 * of running unannounced, and the error is thrown for the source to act on (an alert gives its
 * claims back, so its next repeat tries again).
 */
export function raiseIncident(deps: CoreDeps, signal: IncidentSignal & { channel: string }): Promise<RaisedIncident>;
export function raiseIncident(deps: CoreDeps, signal: IncidentSignal): Promise<RaisedIncident | UnroutedIncident>;
export async function raiseIncident(
  deps: CoreDeps,
  signal: IncidentSignal,
): Promise<RaisedIncident | UnroutedIncident> {
  const channel = signal.channel ?? (await routeIncident(deps, signal.host));
  if (!channel) return { status: "unrouted" };
  let job: JobRecord | null = null;
  let triage: TriageOutcome = "none";
  let error: unknown;
  if (signal.triage) {
    try {
      job = await createJob(deps, "triage", {
        host: signal.host,
        channel,
        user: signal.actor,
        requestKey: signal.triage.requestKey,
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
  // The record: the host's open incident grows by this signal, or one is opened by it.
  await recordSignal(
    deps,
    { source: signal.source, host: signal.host, channel, threadTs: thread?.threadTs ?? null },
    {
      actor: signal.actor,
      kind: TIMELINE_KIND[signal.source],
      text: audited?.detail ?? said?.text ?? (job ? `triage requested (job ${job.id})` : "triage requested"),
      ref: job?.id ?? null,
    },
  );
  const queued = job;
  const replyTo = signal.triage?.responseUrl ? { responseUrl: signal.triage.responseUrl } : {};
  return {
    status: "raised",
    channel,
    thread,
    triage,
    job,
    // Node: runs the triage in this process, in the host's turn; Workers: hands it to the host's object.
    later: queued ? () => deps.jobs.start(deps, { kind: "triage", job: queued, ...replyTo }) : null,
    ...(triage === "failed" ? { error } : {}),
  };
}

/**
 * Says something in the host's open incident (a recovery, an alert resolved, a flap summary):
 * posted in its thread when there is one, else nothing (null). Post failures are thrown.
 */
export async function noteIncident(
  deps: CoreDeps,
  where: { host: string; channel?: string },
  message: Message,
  /** Who said it and what it is, for the incident record's timeline (default: clawops, a note). */
  entry: { actor?: string; kind?: IncidentEventKind } = {},
): Promise<IncidentRecord | null> {
  const channel = where.channel ?? (await routeIncident(deps, where.host));
  if (!channel) return null;
  const thread = await deps.store.findIncident(channel, where.host);
  if (!thread) return null;
  await deps.chat.postMessage({ channel, threadTs: thread.threadTs, ...message });
  await noteTimeline(deps, where.host, {
    actor: entry.actor ?? "clawops",
    kind: entry.kind ?? "note",
    text: message.text,
  });
  return thread;
}

/**
 * The host's incident thread in `channel`, opened with its header when there is none: the one
 * way anything gets a thread to post in (a triage's progress, a bundle, a freeze notice, the
 * recover runbook, a lost job's notice). An open incident record without a thread yet (a
 * command's triage opens it in its own turn) learns this one.
 */
export async function incidentThread(
  deps: CoreDeps,
  where: { channel: string; host: string; actor: string },
): Promise<IncidentRecord> {
  const thread = await openIncidentThread(deps, where.channel, where.host, where.actor);
  await linkThread(deps, where.host, { channel: thread.channel, threadTs: thread.threadTs });
  return thread;
}

/** The host's incident thread in its routed channel, if one is open. */
export async function findHostIncident(deps: CoreDeps, host: string): Promise<IncidentRecord | null> {
  const channel = await routeIncident(deps, host);
  return channel ? deps.store.findIncident(channel, host) : null;
}

/** Where an incident nobody typed goes: the host's routing rule, else the default channel. */
export async function routeIncident(deps: CoreDeps, host: string): Promise<string | undefined> {
  const record = await deps.store.getHost(host);
  return incidentChannelFor(deps.incidents, record ?? { name: host });
}
