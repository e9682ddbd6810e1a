/**
 * The incident as a record (docs/incidents.md): what raised it, its hosts, its state and owner,
 * and a timeline of everything that happened to it, in order and with who. The thread
 * (store.ts `IncidentThread`) is where it is told in chat; this is what can be read back whole.
 */

/** What raised an incident. */
export const INCIDENT_SOURCES = ["command", "alert", "watch", "silence", "fleet", "declared", "expiry"] as const;
export type IncidentSourceKind = (typeof INCIDENT_SOURCES)[number];

/** open → acknowledged (someone owns it) → resolved. A resolved incident is never reopened. */
export const INCIDENT_STATES = ["open", "acknowledged", "resolved"] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/**
 * What its hosts are doing now, as its header says: checking (a person's triage opened it and
 * has not answered yet: nothing is known to fail), failing (a failure came in, or the triage
 * found a failing layer), recovering (a recovery runbook is running), recovered (the watch saw
 * the gateway healthy again, or every alert resolved). The state (open → acknowledged →
 * resolved) is what people did about it.
 */
export const INCIDENT_PHASES = ["checking", "failing", "recovering", "recovered"] as const;
export type IncidentPhase = (typeof INCIDENT_PHASES)[number];

/** How many signals of each kind an incident took (its header shows them). */
export const INCIDENT_COUNTERS = ["alerts", "alertsResolved", "watch", "triages", "silences", "hosts"] as const;
export type IncidentCounter = (typeof INCIDENT_COUNTERS)[number];
export type IncidentCounts = Record<IncidentCounter, number>;
export const NO_COUNTS: IncidentCounts = { alerts: 0, alertsResolved: 0, watch: 0, triages: 0, silences: 0, hosts: 0 };

export interface Incident {
  /** `inc_…`: what `clawops incident <id>` and `/openclaw incident <id>` take. */
  id: string;
  source: IncidentSourceKind;
  state: IncidentState;
  /** One line: what it is about (`OpenClaw gateway on node-3`). */
  title: string;
  hosts: string[];
  /** Where it is told: its thread's channel and parent ts (null until a thread is opened). */
  channel: string | null;
  threadTs: string | null;
  /** Who said "I'm on it" (a Slack user id or `console`); null while nobody has. */
  owner: string | null;
  openedAt: number;
  openedBy: string;
  updatedAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  phase: IncidentPhase;
  /** A host incident grouped into a fleet incident: that incident's id. */
  parentId: string | null;
  /**
   * What it can be grouped by (incidents/grouping.ts): its first signal's cause keys
   * (`finding:gateway.down`, `alert:OpenClawGatewayDown`, `openclaw:2026.9.6`, `silence`); a
   * fleet incident: the one key its hosts share.
   */
  causes: string[];
  counts: IncidentCounts;
  /** When its latest signal came in. */
  lastSignalAt: number;
  /** When its header (the thread's parent message) was last edited; null: never since posted. */
  headerAt: number | null;
  /** Its header shows less than the record (an edit was held back by the edit interval). */
  headerStale: boolean;
  /** How bad (incidents/severity.ts): from a documented policy over its source and findings, or set by a person. */
  severity: Severity;
  /** When someone first took it ("I'm on it", or its page acknowledged): MTTA's end. */
  acknowledgedAt: number | null;
  /**
   * When the evidence says the failure began, if earlier than it was detected (issue 41: an
   * alert's `startsAt`); the postmortem's impact window starts there. Absent or null: unknown.
   */
  evidenceAt?: number | null;

  /**
   * Its own channel, when it got one (issue 41, item 2; incidents/channel.ts): the channel's id,
   * its name, and the ts of the second live header posted there (edited with the thread's).
   * Absent or null: it lives in its thread only.
   */
  ownChannel?: string | null;
  ownChannelName?: string | null;
  ownChannelTs?: string | null;

  /**
   * Issue 41, item 1: who does communications (status updates to the people affected) and who
   * keeps the record (the scribe); null while nobody does. The commander is `owner`.
   */
  comms: string | null;
  scribe: string | null;
}

/** The roles a person can hold on an incident (issue 41, item 1); the commander is its `owner`. */
export const INCIDENT_ROLES = ["commander", "comms", "scribe"] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

/** sev1 (the worst: the fleet, or a customer-facing outage declared so) … sev4 (informational). */
export const SEVERITIES = ["sev1", "sev2", "sev3", "sev4"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What can change on an incident after it opens. */
export type IncidentPatch = Partial<
  Pick<
    Incident,
    | "state"
    | "owner"
    | "channel"
    | "threadTs"
    | "updatedAt"
    | "resolvedAt"
    | "resolvedBy"
    | "phase"
    | "parentId"
    | "headerAt"
    | "headerStale"
    | "severity"
    | "acknowledgedAt"
    | "evidenceAt"
    | "ownChannel"
    | "ownChannelName"
    | "ownChannelTs"
    | "comms"
    | "scribe"
  >
>;

/** What a timeline entry is about; the text says the rest. */
export const INCIDENT_EVENT_KINDS = [
  "opened",
  "alert.firing",
  "alert.resolved",
  "watch",
  "triage",
  "note",
  "acknowledged",
  "resolved",
  "grouped",
  "silence",
  "muted",
  // What people and workflows did to it (issue 29, items 1 and 6-8): a freeze set, lifted or
  // placed by the policy; a button pressed; a mutating step asked for, approved or refused; the
  // recover runbook's steps and outcome; a bundle stored or uploaded; a ticket opened, commented
  // or attached; a PagerDuty note or resolve; a postmortem drafted.
  "freeze",
  "button",
  "approval",
  "recover",
  "bundle",
  "ticket",
  "pagerduty",
  "postmortem",
  // Issue 40: a page sent, acknowledged or resolved at the team's pager (or failing), a severity set.
  "page",
  "severity",
  "escalation",
  // Issue 41: a team member's message in the incident's thread, and one marked (📌) a key moment.
  "message",
  "key-moment",
  // Issue 41, item 2: its own channel opened, archived, or not made (and why).
  "channel",
  // Issue 41, items 1 and 5: a role taken or handed over; a follow-up action recorded or done.
  "role",
  "action",
] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];

export interface IncidentEvent {
  incidentId: string;
  /** 1, 2, 3 … per incident: the order things happened in, whatever the clock says. */
  seq: number;
  at: number;
  /** Who: a Slack user id, `console`, `Alertmanager`, `clawops watch`. */
  actor: string;
  kind: IncidentEventKind;
  /** One line of plain mrkdwn, at most 500 characters. */
  text: string;
  /** A job, bundle or ticket id it refers to. */
  ref: string | null;
}

/**
 * What clawops delivers after the record is written (issue 40, item 8: record first, deliver
 * after): a page to the team's pager, retried with backoff until it goes or is given up. `key`
 * is unique: the same delivery is queued once, however often it is asked for.
 */
export interface OutboxItem {
  id: string;
  /** `<kind>:<incident id>:<action>`: one delivery of each action per incident and target. */
  key: string;
  /** What delivers it: `page:pagerduty`, `page:opsgenie`, `page:webhook`. */
  kind: string;
  incidentId: string | null;
  /** The delivery's own JSON (core/paging/event.ts `PageEvent`). */
  body: string;
  state: OutboxState;
  attempts: number;
  /** When it is next due (pending), or was claimed until (a drain running it). */
  nextAt: number;
  lastError: string | null;
  /** Its failure was said in the incident's thread already (said once). */
  told: boolean;
  createdAt: number;
  doneAt: number | null;
}
export const OUTBOX_STATES = ["pending", "sent", "failed"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export type OutboxPatch = Partial<Pick<OutboxItem, "state" | "attempts" | "nextAt" | "lastError" | "told" | "doneAt">>;

/**
 * What became of a signal (issue 40, item 1: nothing dropped without a trace): the pipeline's
 * verdict, stored with it, so "what became of alert X" is a query (Netflix Dispatch keeps its
 * filter action on the signal the same way).
 */
export const SIGNAL_FATES = [
  "opened",
  "news",
  "counted",
  "grouped",
  "muted",
  "snoozed",
  "unrouted",
  "suppressed",
  "dropped",
  "failed",
] as const;
export type SignalFateKind = (typeof SIGNAL_FATES)[number];
export interface SignalFate {
  /** 1, 2, 3 … in the order they were stored. */
  seq: number;
  at: number;
  source: string;
  host: string;
  incidentId: string | null;
  fate: SignalFateKind;
  /** Why, in words (`the maintenance freeze of node-3`, `inside a flap window of an open incident`). */
  why: string | null;
  /** What came in: the alert's name, the watch's reason. */
  summary: string;
  /** How many it stood for (an alert request's new alerts). */
  count: number;
}

/**
 * The store's side. `openIncident` is keyed: at most one open incident per key (a host's name),
 * so two signals raised at once share one record; it returns the stored one either way.
 */
export interface IncidentBook {
  /** Queues a delivery unless one with its key is there; true when queued now. */
  enqueueOutbox(item: Omit<OutboxItem, "state" | "attempts" | "lastError" | "told" | "doneAt">): Promise<boolean>;
  /**
   * Takes up to `limit` pending deliveries due by `now`, each moved to `leaseUntil` in the same
   * statement, so a second drain (another process, a restart) does not send it meanwhile.
   */
  claimOutbox(now: number, leaseUntil: number, limit: number): Promise<OutboxItem[]>;
  settleOutbox(id: string, patch: OutboxPatch): Promise<void>;
  /** Newest first. */
  listOutbox(filter: { incidentId?: string; state?: OutboxState; limit?: number }): Promise<OutboxItem[]>;
  recordSignal(signal: Omit<SignalFate, "seq">): Promise<void>;
  /** Oldest first, by incident or by host. */
  listSignals(filter: { incidentId?: string; host?: string; limit?: number }): Promise<SignalFate[]>;
  openIncident(incident: Incident, key: string): Promise<Incident>;
  /**
   * The open (or acknowledged) incident under `key`, if any; for a host's name, else the open
   * fleet incident that lists the host.
   */
  findOpenIncident(key: string): Promise<Incident | null>;
  getIncident(id: string): Promise<Incident | null>;
  /** Newest first; `open`: only those not resolved. */
  listIncidents(filter: { open?: boolean; limit?: number }): Promise<Incident[]>;
  /**
   * Applies `patch` if the incident is in one of `from` (a state change that raced another one
   * loses cleanly); returns the incident as stored after, or null when nothing was changed.
   */
  updateIncident(
    id: string,
    from: readonly IncidentState[],
    patch: IncidentPatch,
    /** Only while it is in this phase (the first failure after a recovery moves it once). */
    inPhase?: IncidentPhase,
  ): Promise<Incident | null>;
  /**
   * Adds `delta` to its counts and moves `lastSignalAt` to `at` (atomically, so signals counted
   * at once are all counted); the incident as stored after, or null when there is none.
   */
  countIncident(id: string, delta: Partial<IncidentCounts>, at: number): Promise<Incident | null>;
  /**
   * Adds `host` to an open incident's hosts (a fleet incident taking a member) unless listed;
   * the incident as stored after, null when it is resolved or unknown.
   */
  joinIncident(id: string, host: string): Promise<Incident | null>;
  /** Open incidents whose header is stale and was last edited at or before `editedBefore`. */
  staleHeaders(editedBefore: number): Promise<Incident[]>;
  /** A finding snoozed on a host (replaces the one there). */
  putSnooze(snooze: Snooze): Promise<void>;
  /** Every snooze stored, expired ones included (the caller judges them by the clock). */
  listSnoozes(): Promise<Snooze[]>;
  /** Lifts a snooze; the one removed, or null. */
  removeSnooze(host: string, finding: string): Promise<Snooze | null>;
  /** Adds to what a snooze muted (atomic). */
  countSnoozed(host: string, finding: string, n: number): Promise<void>;
  /** Appends to the timeline with the next seq; returns the seq. */
  appendIncidentEvent(event: Omit<IncidentEvent, "seq">): Promise<number>;
  incidentTimeline(id: string): Promise<IncidentEvent[]>;
}

/**
 * A follow-up action (issue 41, item 5): what the team means to do after the incident, with an
 * owner, numbered 1, 2, 3 … per incident. It outlives the incident: a resolved incident with
 * open actions says so until they are done.
 */
export interface IncidentAction {
  incidentId: string;
  /** 1, 2, 3 … per incident: what `incident <id> action <n> done` names. */
  n: number;
  /** One line, at most 300 characters. */
  text: string;
  /** Who is to do it (a Slack user id, `console`); null: nobody named yet. */
  owner: string | null;
  state: "open" | "done";
  createdAt: number;
  createdBy: string;
  doneAt: number | null;
  doneBy: string | null;
}

/**
 * The store's side of follow-up actions (issue 41, item 5): migration 10's table, on Node's
 * SQLite and the directory object's alike.
 */
export interface IncidentActionBook {
  /**
   * Records an action with the incident's next number, in one statement that also checks the
   * incident is not resolved; null when it is resolved or unknown (nothing written).
   */
  addIncidentAction(action: Omit<IncidentAction, "n" | "state" | "doneAt" | "doneBy">): Promise<IncidentAction | null>;
  /** Oldest first; by incident, and only open ones with `open`. */
  listIncidentActions(filter: { incidentId?: string; open?: boolean; limit?: number }): Promise<IncidentAction[]>;
  /** Marks action `n` done if it is open; the action as stored after, or null when none was open. */
  closeIncidentAction(incidentId: string, n: number, by: string, at: number): Promise<IncidentAction | null>;
}

/**
 * One incident's thread on a mirror chat (issue 43, item 5; CLAWOPS_INCIDENT_MIRRORS,
 * incidents/mirrors.ts): the channel (`discord:…`, `mattermost:…`), the ts of its root post once
 * posted, and when it was given up (its deliveries failed for good; nothing more goes there).
 */
export interface IncidentMirror {
  incidentId: string;
  channel: string;
  /** The mirror thread's root post (the header there); null until posted. */
  ts: string | null;
  givenUpAt: number | null;
  /** Why it was given up, as the chat said. */
  error: string | null;
}

/** The store's side of mirror threads: state migration 12's table, on Node's SQLite and the directory object's alike. */
export interface IncidentMirrorBook {
  /** Records the mirror's root post; the first one recorded is kept (the mirror as stored after). */
  recordMirrorThread(incidentId: string, channel: string, ts: string, at: number): Promise<IncidentMirror>;
  /** Marks the mirror given up; true only for the call that did (so it is said once). */
  giveUpMirror(incidentId: string, channel: string, error: string, at: number): Promise<boolean>;
  incidentMirrors(incidentId: string): Promise<IncidentMirror[]>;
}

/** Fleet grouping (incidents/grouping.ts): how many hosts failing together make one fleet incident. */
export interface GroupingPolicy {
  /** At least this many hosts … */
  minHosts: number;
  /** … or at least this share (percent) of the hosts of one tag, and at least 2 … */
  minPercentOfTag: number;
  /** … within this window. */
  windowMs: number;
}

/**
 * A finding snoozed on one host ("Snooze this finding on this host"): while it holds, a watch
 * failure of that host whose top finding it is opens no incident and is counted here instead.
 */
export interface Snooze {
  host: string;
  /** A finding rule id (`gateway-down`). */
  finding: string;
  /** Until this moment; null: until the host's OpenClaw version is no longer `untilVersion`. */
  until: number | null;
  /** The host's OpenClaw version when snoozed "until the version changes". */
  untilVersion: string | null;
  by: string;
  at: number;
  /** Signals it muted. */
  muted: number;
}
