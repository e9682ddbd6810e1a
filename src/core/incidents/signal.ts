import type { Message } from "../messages/model.ts";
import type { Incident, IncidentCounter, IncidentEventKind } from "../ports/incident-book.ts";
import type { NewAuditEntry } from "../ports/recovery.ts";
import type { IncidentThread, JobRecord } from "../ports/store.ts";

/**
 * A signal and what the pipeline (pipeline.ts) makes of it: the one vocabulary every source
 * (a command, an alert, the watch, a lost agent) and every stage (stages/*) speaks.
 */

/** What raised a signal. */
export type IncidentSource = "command" | "alert" | "watch" | "silence";

/** The timeline entry each source's signal writes on the incident record. */
export const TIMELINE_KIND: Record<IncidentSource, IncidentEventKind> = {
  command: "triage",
  alert: "alert.firing",
  watch: "watch",
  silence: "silence",
};

/** The counter each source's signal adds to. */
export const COUNTER: Record<IncidentSource, IncidentCounter> = {
  command: "triages",
  alert: "alerts",
  watch: "watch",
  silence: "silences",
};

/** What a rejected job's detail calls the message that could not announce it. */
export const ANNOUNCEMENT: Record<IncidentSource, string> = {
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
  thread: IncidentThread | null;
  /** The incident record; null when it could not be written. */
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

/** What the record made of a signal; `fleet`: a fleet incident this signal opened, to announce. */
export type Taken = {
  incident: Incident;
  opened: boolean;
  counted: boolean;
  fleet?: { incident: Incident; members: Incident[] };
  /** The fleet incident this host incident is grouped into, counted too: its header to edit. */
  parent?: Incident;
};
