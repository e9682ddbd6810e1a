import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { createJob } from "../jobs/create.ts";
import type { Message } from "../messages/model.ts";
import { defaultSeverity } from "../paging/policy.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type {
  Incident,
  IncidentBook,
  IncidentCounter,
  IncidentCounts,
  IncidentEventKind,
  IncidentPhase,
} from "../ports/incident-book.ts";
import { NO_COUNTS, SEVERITIES, type Severity, type SignalFateKind, type Snooze } from "../ports/incident-book.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { MutedCounts, NewAuditEntry } from "../ports/recovery.ts";
import type { HostRecord, IncidentRecord, JobRecord } from "../ports/store.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";
import { causeKeys, causeTitle, DEFAULT_GROUPING, groupFor } from "./grouping.ts";
import { fleetCause, refreshIncidentHeader, renderGroupedNote, renderLiveHeader } from "./header.ts";
import { queuePage } from "./outbox.ts";
import { appendTimeline, incidentBook, linkThread, moveIncident } from "./record.ts";
import { incidentChannelFor } from "./routing.ts";
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
 */

/** What raised a signal. */
export type IncidentSource = "command" | "alert" | "watch" | "silence";

/** The timeline entry each source's signal writes on the incident record. */
const TIMELINE_KIND: Record<IncidentSource, IncidentEventKind> = {
  command: "triage",
  alert: "alert.firing",
  watch: "watch",
  silence: "silence",
};

/** The counter each source's signal adds to. */
const COUNTER: Record<IncidentSource, IncidentCounter> = {
  command: "triages",
  alert: "alerts",
  watch: "watch",
  silence: "silences",
};

/** What a rejected job's detail calls the message that could not announce it. */
const ANNOUNCEMENT: Record<IncidentSource, string> = {
  command: "its announcement",
  alert: "the alert's message",
  watch: "the watch's message",
  silence: "the silence notice",
};

/** What became of a signal's triage: queued, already queued by this very request, not queued, none asked. */
export type TriageOutcome = "queued" | "duplicate" | "failed" | "none";

/** A triage to queue. `requestKey` is its idempotency key: the same key never queues a second one. */
export interface TriageAsk {
  requestKey: string;
  /** Where its asker is told when the thread cannot be written. */
  responseUrl?: string;
}

export interface IncidentSignal {
  source: IncidentSource;
  host: string;
  /** Who raised it: a Slack user id, `console`, `Alertmanager`, `clawops watch`. Opens the thread as them. */
  actor: string;
  /** The channel it belongs in: where a command was typed, or an alert already routed. Else routed by host. */
  channel?: string;
  /** How many of its kind it carries (an alert request's new alerts); default 1. */
  count?: number;
  /** One line naming what came in (the alerts' names), for the timeline when it is only counted. */
  summary?: string;
  /**
   * What failed, as cause keys fleet grouping compares across hosts (incidents/grouping.ts):
   * `finding:<top finding>`, `alert:<name>`, `silence`. The host's version is added here.
   */
  causes?: string[];
  /**
   * A triage to queue when the signal is news. A source that spends something on it (an alert's
   * per-host rate limit) decides it first with decideSignal, so only a signal that is news asks.
   */
  triage?: TriageAsk | null;
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
  /** The incident record, when the store keeps them. */
  incident: Incident | null;
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

/** The host's incident is open and this signal is not news to it: counted on the record, its header edited. */
export type CountedSignal = { status: "counted"; channel: string; incident: Incident };

/** A maintenance freeze or a snooze holds for this host (or finding): counted there, nothing else. */
export type MutedSignal = { status: "muted"; channel: string; by: string };

/**
 * What the record made of a signal before anything is posted: muted, only `counted` (the storm
 * guard above), or `news`. Store work only (no chat call, no agent), so a source can decide it
 * before it answers (an alert webhook says what became of each alert) and raise it after.
 */
export type DecidedSignal =
  | UnroutedIncident
  | MutedSignal
  | { status: "counted" | "news"; channel: string; taken: Taken | null };

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
      // Record first, deliver after: a page is queued once the record holds the incident.
      if (taken.fleet) await queuePage(deps, taken.fleet.incident, "trigger", { summary: signalSummary(signal) });
      if (taken.opened) await queuePage(deps, taken.incident, "trigger", { summary: signalSummary(signal) });
      else if (!taken.counted && signal.source !== "command") {
        // An automatic signal that is news on an open incident (a watch failure on the incident a
        // person's triage opened) makes it as bad as that signal's own incident would be: raised
        // to its severity, and paged if that now pages (once per incident: the outbox key).
        taken.incident = await raiseSeverity(deps, book, taken.incident, defaultSeverity(signal.source), signal.source);
        await queuePage(deps, taken.incident, "trigger", { summary: signalSummary(signal) });
      }
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

/** `incident` at `severity` at least (sev1 is the worst), on its timeline when raised. */
async function raiseSeverity(
  deps: CoreDeps,
  book: IncidentBook,
  incident: Incident,
  severity: Severity,
  source: IncidentSource,
): Promise<Incident> {
  if (SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(incident.severity)) return incident;
  const raised = await book.updateIncident(incident.id, ["open", "acknowledged"], { severity });
  if (!raised) return incident;
  await appendTimeline(deps, book, raised, {
    actor: "clawops",
    kind: "severity",
    text: `severity ${incident.severity} → ${severity} (a ${source} signal joined it)`,
  });
  return raised;
}

/** One line naming what a signal brought, for its stored fate and its page. */
function signalSummary(signal: IncidentSignal): string {
  return (signal.summary ?? signal.announce?.("none").text ?? `${signal.source} signal for ${signal.host}`).slice(
    0,
    300,
  );
}

/**
 * Stores what became of a signal (issue 40, item 1): nothing the pipeline does not post is
 * dropped without a trace. Logged, never thrown: the signal matters more than its bookkeeping.
 */
export async function recordFate(
  deps: CoreDeps,
  signal: Pick<IncidentSignal, "source" | "host" | "count" | "summary" | "announce">,
  fate: SignalFateKind,
  incidentId: string | null,
  why: string | null,
): Promise<void> {
  const book = incidentBook(deps);
  if (!book) return;
  try {
    await book.recordSignal({
      at: deps.clock.now(),
      source: signal.source,
      host: signal.host,
      incidentId,
      fate,
      why,
      summary: signalSummary(signal as IncidentSignal),
      count: signal.count ?? 1,
    });
  } catch (err) {
    deps.logger.warn("signal fate not stored", { host: signal.host, fate, err: errorMessage(err) });
  }
}

/** Which count of a maintenance freeze a muted signal adds to. */
const MUTED_KIND: Record<Exclude<IncidentSource, "command">, keyof MutedCounts> = {
  alert: "alerts",
  watch: "watch",
  silence: "silences",
};

/**
 * Mute and snooze (docs/incidents.md): a maintenance freeze of the host or of the fleet mutes its
 * automatic signals, and a snooze of the signal's top finding on this host mutes it; either
 * counts what it muted. What muted it, in words, or null.
 */
async function mutedBy(deps: CoreDeps, book: IncidentBook | null, signal: IncidentSignal): Promise<string | null> {
  if (signal.source === "command") return null;
  const now = deps.clock.now();
  const n = signal.count ?? 1;
  for (const target of [signal.host, FREEZE_ALL]) {
    const f = await deps.recovery.store.getFreeze(target);
    if (f?.maintenance && f.expiresAt > now) {
      await deps.recovery.store.countMuted(f.target, f.createdAt, MUTED_KIND[signal.source], n);
      return `the maintenance freeze of ${target === FREEZE_ALL ? "the fleet" : target}`;
    }
  }
  const top = signal.causes?.find((c) => c.startsWith("finding:"))?.slice("finding:".length);
  if (!top || !book) return null;
  const snooze = (await book.listSnoozes()).find((z) => z.host === signal.host && z.finding === top);
  if (!snooze || !snoozeHolds(snooze, await deps.store.getHost(signal.host), now)) return null;
  await book.countSnoozed(snooze.host, snooze.finding, n);
  return `the snooze of ${top} on ${signal.host}`;
}

/** Whether a snooze still holds: before its end, or while the host runs the version it was set on. */
export function snoozeHolds(z: Snooze, host: Pick<HostRecord, "gatewayVersion"> | null, now: number): boolean {
  if (z.until !== null) return now < z.until;
  return z.untilVersion !== null && host?.gatewayVersion === z.untilVersion;
}

/** Signals only counted (a storm) are still named on the timeline up to this many of a kind. */
export const NAMED_ON_TIMELINE = 20;

/** A signal whose announcement could not be posted: its count is taken back. Logged, never thrown. */
async function uncount(deps: CoreDeps, book: IncidentBook, incident: Incident, signal: IncidentSignal): Promise<void> {
  try {
    await book.countIncident(incident.id, { [COUNTER[signal.source]]: -(signal.count ?? 1) }, deps.clock.now());
  } catch (err) {
    deps.logger.error("incident count not taken back", { incident: incident.id, err: errorMessage(err) });
  }
}

/**
 * The record's side of a signal, decided atomically in the store so that signals arriving at
 * once agree: the first opens the host's incident (`opened`); on an open one, the first of its
 * kind or the first failure since it recovered is news; any other is only `counted`. A host
 * that is a member of an open fleet incident has its automatic signals counted there.
 */
async function takeSignal(deps: CoreDeps, book: IncidentBook, signal: IncidentSignal, channel: string): Promise<Taken> {
  const now = deps.clock.now();
  const n = signal.count ?? 1;
  const counter = COUNTER[signal.source];
  const automatic = signal.source !== "command";
  const current = await book.findOpenIncident(signal.host);
  if (current && current.source === "fleet" && automatic) {
    const counted = (await book.countIncident(current.id, { [counter]: n }, now)) ?? current;
    return { incident: counted, opened: false, counted: true };
  }
  let causes: string[] = signal.causes ?? [];
  if (!current && automatic) {
    const fleet = await deps.store.listHosts();
    causes = causeKeys(causes, fleet.find((h) => h.name === signal.host) ?? null, fleet);
    const grouped = await groupInto(deps, book, signal, channel, causes, fleet);
    if (grouped) return grouped;
  }
  if (!current) {
    const candidate = newIncident(deps, {
      source: signal.source,
      host: signal.host,
      actor: signal.actor,
      channel,
      causes,
      counts: { ...NO_COUNTS, [counter]: n },
    });
    const stored = await book.openIncident(candidate, signal.host);
    if (stored.id === candidate.id) return { incident: stored, opened: true, counted: false };
  }
  const open = current ?? (await book.findOpenIncident(signal.host));
  if (!open) throw new Error(`no open incident for ${signal.host} after opening one`);
  const counted = (await book.countIncident(open.id, { [counter]: n }, now)) ?? open;
  // A host incident grouped into a fleet incident: the fleet's counts hold its hosts' signals too.
  const parent = counted.parentId ? await book.countIncident(counted.parentId, { [counter]: n }, now) : null;
  const also = parent ? { parent } : {};
  if (!automatic) return { incident: counted, opened: false, counted: false, ...also };
  if (counted.phase === "checking") {
    // A person's triage opened it and nothing was known to fail: an automatic failure is news, and its phase.
    const moved = await book.updateIncident(open.id, ["open", "acknowledged"], { phase: "failing" }, "checking");
    if (moved) return { incident: moved, opened: false, counted: false, ...also };
  }
  if (counted.counts[counter] === n) return { incident: counted, opened: false, counted: false, ...also };
  if (counted.phase === "recovered") {
    // The first failure since it recovered: only the signal that moves it back to failing is news.
    const moved = await book.updateIncident(open.id, ["open", "acknowledged"], { phase: "failing" }, "recovered");
    if (moved) return { incident: moved, opened: false, counted: false, ...also };
  }
  return { incident: counted, opened: false, counted: true, ...also };
}

/** What the record made of a signal; `fleet`: a fleet incident this signal opened, to announce. */
export type Taken = {
  incident: Incident;
  opened: boolean;
  counted: boolean;
  fleet?: { incident: Incident; members: Incident[] };
  /** The fleet incident this host incident is grouped into, counted too: its header to edit. */
  parent?: Incident;
};

/**
 * Fleet grouping: the host joins the open fleet incident that shares one of its causes, or its
 * failure makes one with the host incidents of the window (incidents/grouping.ts), which are
 * linked to it. Either way the signal is counted there: no page for this host.
 */
async function groupInto(
  deps: CoreDeps,
  book: IncidentBook,
  signal: IncidentSignal,
  channel: string,
  causes: string[],
  fleet: HostRecord[],
): Promise<Taken | null> {
  const policy = deps.grouping ?? DEFAULT_GROUPING;
  if (!policy || causes.length === 0) return null;
  const now = deps.clock.now();
  const counter = COUNTER[signal.source];
  const n = signal.count ?? 1;
  const open = await book.listIncidents({ open: true, limit: 500 });
  const joined = open.find((i) => i.source === "fleet" && i.causes.some((k) => causes.includes(k)));
  if (joined) {
    await book.joinIncident(joined.id, signal.host);
    const counted = (await book.countIncident(joined.id, { [counter]: n, hosts: 1 }, now)) ?? joined;
    return { incident: counted, opened: false, counted: true };
  }
  const decision = groupFor(signal.host, causes, open, fleet, now, policy);
  if (!decision) return null;
  const hosts = [...new Set([...decision.members.flatMap((m) => m.hosts), signal.host])];
  const candidate: Incident = {
    ...newIncident(deps, {
      source: "fleet",
      host: signal.host,
      actor: signal.actor,
      channel,
      causes: [decision.key],
      counts: {
        ...NO_COUNTS,
        ...sumCounts([...decision.members.map((m) => m.counts), { ...NO_COUNTS, [counter]: n }]),
        hosts: hosts.length,
      },
    }),
    title: `${causeTitle(decision.key)}`,
    hosts,
  };
  const stored = await book.openIncident(candidate, `fleet:${decision.key}`);
  if (stored.id !== candidate.id) {
    // Another signal opened it a moment ago: join it.
    await book.joinIncident(stored.id, signal.host);
    return { incident: stored, opened: false, counted: true };
  }
  const members: Incident[] = [];
  for (const m of decision.members) {
    const linked = await book.updateIncident(m.id, ["open", "acknowledged"], { parentId: stored.id });
    if (linked) members.push(linked);
  }
  return { incident: stored, opened: false, counted: true, fleet: { incident: stored, members } };
}

function sumCounts(all: IncidentCounts[]): IncidentCounts {
  const sum = { ...NO_COUNTS };
  for (const c of all) for (const k of Object.keys(sum) as IncidentCounter[]) sum[k] += c[k];
  return sum;
}

function newIncident(
  deps: CoreDeps,
  o: {
    source: Incident["source"];
    host: string;
    actor: string;
    channel: string;
    causes: string[];
    counts: IncidentCounts;
    severity?: Severity;
  },
): Incident {
  const now = deps.clock.now();
  return {
    id: deps.ids.id("inc"),
    source: o.source,
    state: "open",
    title: `OpenClaw gateway on ${o.host}`,
    hosts: [o.host],
    channel: o.channel,
    threadTs: null,
    owner: null,
    openedAt: now,
    openedBy: o.actor,
    updatedAt: now,
    resolvedAt: null,
    resolvedBy: null,
    // A person's triage opens it before anything is known to fail (settleTriagedIncident decides).
    phase: o.source === "command" ? "checking" : "failing",
    parentId: null,
    causes: o.causes,
    counts: o.counts,
    lastSignalAt: now,
    headerAt: null,
    headerStale: false,
    severity: o.severity ?? defaultSeverity(o.source),
    acknowledgedAt: null,
  };
}

/**
 * A fleet incident just opened: its own thread (the header with the host table, then what the
 * hosts share and what that makes likely), and a line in each grouped host's thread pointing
 * to it. Failures are logged: the record stands either way.
 */
async function announceFleet(
  deps: CoreDeps,
  opened: { incident: Incident; members: Incident[] },
  signal: IncidentSignal,
): Promise<void> {
  const book = incidentBook(deps);
  const { incident } = opened;
  if (!book || !incident.channel) return;
  try {
    const cause = await fleetCause(deps, incident);
    const parent = await deps.chat.postMessage({
      channel: incident.channel,
      ...renderLiveHeader(incident, deps.clock.now(), cause),
    });
    await book.updateIncident(incident.id, ["open", "acknowledged"], {
      threadTs: parent.ts,
      headerAt: deps.clock.now(),
      headerStale: false,
    });
    await appendTimeline(deps, book, incident, {
      actor: signal.actor,
      kind: "grouped",
      text: `${incident.hosts.length} hosts failing together: ${incident.title}. ${cause.join(" ")}`,
    });
    await audit(deps, {
      at: deps.clock.now(),
      actor: signal.actor,
      source: "system",
      action: "incident.fleet",
      host: null,
      outcome: "info",
      detail: `${incident.id}: ${incident.hosts.length} hosts, ${incident.title}`.slice(0, 500),
      ref: incident.id,
    });
  } catch (err) {
    deps.logger.error("fleet incident not announced", { incident: incident.id, err: errorMessage(err) });
  }
  for (const member of opened.members) await tellGrouped(deps, member.id);
}

/**
 * The line in a grouped host incident's own thread pointing to its fleet incident, and its
 * header edited to say so: once, by whoever gets there first with the thread known (the fleet
 * incident's opening, or the host's own announcement if its thread was still being posted).
 */
async function tellGrouped(deps: CoreDeps, memberId: string): Promise<void> {
  const book = incidentBook(deps);
  if (!book) return;
  try {
    const member = await book.getIncident(memberId);
    const fleet = member?.parentId ? await book.getIncident(member.parentId) : null;
    if (!member || !fleet || !member.channel || !member.threadTs) return;
    const now = deps.clock.now();
    if (!(await deps.store.claimUntil(`grouped-note:${member.id}`, now, now + 7 * 24 * 3_600_000))) return;
    await deps.chat.postMessage({
      channel: member.channel,
      threadTs: member.threadTs,
      ...renderGroupedNote(member, fleet),
    });
    await appendTimeline(deps, book, member, {
      actor: "clawops",
      kind: "grouped",
      text: `grouped into fleet incident ${fleet.id} (${fleet.title})`,
      ref: fleet.id,
    });
    await refreshIncidentHeader(deps, member, { force: true });
  } catch (err) {
    deps.logger.warn("grouped incident not told", { incident: memberId, err: errorMessage(err) });
  }
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

/** Where an incident nobody typed goes: the host's routing rule, else the default channel. */
export async function routeIncident(deps: CoreDeps, host: string): Promise<string | undefined> {
  const record = await deps.store.getHost(host);
  return incidentChannelFor(deps.incidents, record ?? { name: host });
}
