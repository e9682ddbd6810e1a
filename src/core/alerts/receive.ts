import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { logTally } from "../audit/log-tally.ts";
import {
  countOnIncident,
  type DecidedSignal,
  decideSignal,
  type IncidentSignal,
  NAMED_ON_TIMELINE,
  noteIncident,
  raiseIncident,
  type TriageAsk,
  type TriageOutcome,
} from "../incidents/pipeline.ts";
import { noteEvidenceAt, noteTimeline } from "../incidents/record.ts";
import { incidentChannelFor } from "../incidents/routing.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import { linkPagerDutyIncidents } from "../tickets/pagerduty.ts";
import { mapAlertToHost } from "./host-map.ts";
import { type IncomingAlert, SOURCE_ACTOR } from "./payloads.ts";
import { type AlertTriageNote, renderAlertFired, renderAlertResolved } from "./render.ts";

/** How alerts become incidents: which labels name the host, how often alerts may triage a host. */
export interface AlertPolicy {
  /** CLAWOPS_ALERT_HOST_LABELS, in order (default clawops_host, host, instance). */
  hostLabels: readonly string[];
  /** At most one alert-started triage per host in this window (default 5 min). */
  triageEveryMs?: number;
}

export const DEFAULT_TRIAGE_EVERY_MS = 5 * 60_000;

/**
 * Parses CLAWOPS_ALERT_TRIAGE_MINUTES (default 5; 0 lets every new alert triage). Throws naming
 * the variable, so a typo stops the start.
 */
export function parseTriageEveryMs(raw: string | undefined): number {
  const v = raw?.trim();
  if (!v) return DEFAULT_TRIAGE_EVERY_MS;
  if (!/^\d{1,4}$/.test(v) || Number(v) > 1440) {
    throw new Error(
      `CLAWOPS_ALERT_TRIAGE_MINUTES: "${v.slice(0, 20)}" is not a whole number of minutes from 0 to 1440.`,
    );
  }
  return Number(v) * 60_000;
}
/**
 * How long a firing alert is remembered: a repeat of it within this time (Alertmanager's
 * repeat_interval, 4 h by default) starts nothing. An alert firing for longer comes back once a
 * week: counted on the host's incident while that is open, else news with a triage of its own.
 */
export const FIRING_MEMORY_MS = 7 * 24 * 3_600_000;

/**
 * What became of one alert, decided before the answer (issue 33, item 8: a repeat was answered
 * "accepted" while nothing ran): `started` (new, a triage queued), `rate-limited` / `offline` (new,
 * posted, no triage: one alert-started triage per host per window / the agent is offline),
 * `counted` (new, but the host's open incident already told of alerts: counted on it, its header
 * edited, nothing posted), `muted` (a maintenance freeze holds: counted there), `repeated`
 * (already firing: nothing new), `resolved` (noted in the thread, or on the incident's timeline
 * while others still fire), `resolved-repeated`.
 */
export type AlertOutcome =
  | "started"
  | "rate-limited"
  | "offline"
  | "counted"
  | "muted"
  | "repeated"
  | "resolved"
  | "resolved-repeated";

/** The webhook's answer (202) and the work that follows it. */
export interface AlertReceipt {
  accepted: { host: string; channel: string; firing: number; resolved: number }[];
  ignored: { alert: string; status: IncomingAlert["status"]; reason: string }[];
  /** Each alert taken, with what became of it. */
  alerts: { alert: string; host: string; status: IncomingAlert["status"]; outcome: AlertOutcome }[];
  /** Runs after the response: thread, alert message, triage, notes, audit. */
  later?: () => Promise<void>;
}

interface HostGroup {
  host: HostRecord;
  channel: string;
  firing: IncomingAlert[];
  resolved: IncomingAlert[];
}

/**
 * Sorts alerts by host in the request (one host listing, no chat call), so the webhook answers
 * at once with what will happen; the chat and the agent are used only in `later`.
 */
export async function receiveAlerts(
  deps: CoreDeps,
  alerts: readonly IncomingAlert[],
  policy: AlertPolicy,
): Promise<AlertReceipt> {
  const hosts = alerts.length > 0 ? await deps.store.listHosts() : [];
  const groups = new Map<string, HostGroup>();
  const ignored: AlertReceipt["ignored"] = [];
  for (const alert of alerts) {
    const match = mapAlertToHost(alert, hosts, policy.hostLabels);
    if (!match.host) {
      ignored.push({ alert: alert.name, status: alert.status, reason: match.reason });
      continue;
    }
    const channel = incidentChannelFor(deps.incidents, match.host);
    if (!channel) {
      ignored.push({
        alert: alert.name,
        status: alert.status,
        reason: `no incident channel is configured for ${match.host.name}: set CLAWOPS_INCIDENT_CHANNEL or CLAWOPS_HOST_CHANNELS`,
      });
      continue;
    }
    const group = groups.get(match.host.name) ?? { host: match.host, channel, firing: [], resolved: [] };
    group[alert.status].push(alert);
    groups.set(match.host.name, group);
  }
  // A storm of alerts for hosts clawops does not know is one counted line per interval, per reason.
  for (const i of ignored) {
    logTally(deps).add("warn", `alert not taken:${alerts[0]?.source}`, "alert not taken", {
      source: alerts[0]?.source,
      alert: i.alert,
      status: i.status,
      reason: i.reason,
    });
  }
  const accepted = [...groups.values()].map((g) => ({
    host: g.host.name,
    channel: g.channel,
    firing: g.firing.length,
    resolved: g.resolved.length,
  }));
  if (groups.size === 0) return { accepted, ignored, alerts: [] };
  // What each alert comes to (a repeat, news or only counted on the host's incident, a triage or
  // its rate limit) is decided now, in the store, so the answer says it; posting and triaging
  // wait for `later`.
  const decided: { g: HostGroup; firing: FiringDecision | null; resolved: ResolvedDecision }[] = [];
  for (const g of groups.values())
    decided.push({ g, firing: await decideFiring(deps, g, policy), resolved: await decideResolved(deps, g) });
  const taken: AlertReceipt["alerts"] = decided.flatMap(({ g, firing, resolved }) => [
    ...g.firing.map((a) => ({
      alert: a.name,
      host: g.host.name,
      status: a.status,
      outcome: firing?.fresh.includes(a) ? firingOutcome(firing) : ("repeated" as const),
    })),
    ...g.resolved.map((a) => ({
      alert: a.name,
      host: g.host.name,
      status: a.status,
      outcome: resolved.fresh.includes(a) ? ("resolved" as const) : ("resolved-repeated" as const),
    })),
  ]);
  for (const { g, firing } of decided) {
    const repeated = g.firing.filter((a) => !firing?.fresh.includes(a));
    if (repeated.length === 0) continue;
    deps.logger.info("alert repeated while firing; nothing started", {
      host: g.host.name,
      alerts: repeated.map((a) => a.name).join(", "),
    });
  }
  return {
    accepted,
    ignored,
    alerts: taken,
    later: async () => {
      // One host's failure (a channel the bot is not in) does not stop the others.
      const outcomes = await Promise.allSettled(
        decided.map(async ({ g, firing, resolved }) => {
          if (firing) await handleFiring(deps, g, firing);
          await handleResolved(deps, g, resolved);
        }),
      );
      for (const o of outcomes) {
        if (o.status === "rejected") deps.logger.error("alert handling failed", { err: errorMessage(o.reason) });
      }
    },
  };
}

/**
 * The claims (ports/claims.ts) taken for alerts' work, remembered so that they are given back
 * when that work could not be posted.
 */
class HeldClaims {
  private taken: { key: string; until: number }[] = [];
  private readonly deps: CoreDeps;

  constructor(deps: CoreDeps) {
    this.deps = deps;
  }

  async claim(key: string, now: number, until: number): Promise<boolean> {
    const won = await this.deps.store.claim(key, now, until);
    if (won) this.taken.push({ key, until });
    return won;
  }

  /** Gives every claim back (or the one named), so a repeat of these alerts tries again. */
  async release(key?: string): Promise<void> {
    const giving = this.taken.filter((t) => key === undefined || t.key === key);
    for (const c of giving) await this.deps.store.release(c.key, c.until);
    this.taken = this.taken.filter((t) => !giving.includes(t));
  }
}

/** The alerts of `list` not seen before under `prefix`; each is claimed as it is found new. */
async function firstSeen(claims: HeldClaims, now: number, prefix: string, list: readonly IncomingAlert[]) {
  const fresh: IncomingAlert[] = [];
  for (const a of list) {
    if (await claims.claim(`${prefix}:${a.source}:${a.identity}`, now, now + FIRING_MEMORY_MS)) fresh.push(a);
  }
  return fresh;
}

/**
 * Posts what `post` posts; when that fails for good (the chat client has retried 429s and 5xx
 * within its budget), gives the alerts' claims back before rethrowing: nothing reached the
 * thread, so the alert's next repeat (Alertmanager's repeat_interval, a PagerDuty retry) is
 * handled as new instead of being taken for one already posted.
 */
async function postOrRelease<T>(deps: CoreDeps, claims: HeldClaims, host: string, post: () => Promise<T>): Promise<T> {
  try {
    return await post();
  } catch (err) {
    await claims.release();
    deps.logger.warn("alert not posted; its next repeat will try again", { host, err: errorMessage(err) });
    throw err;
  }
}

/**
 * A host's firing alerts, decided in the request: which are new, what the incident pipeline
 * makes of them (news, only counted, muted), and, when news, whether they triage.
 */
interface FiringDecision {
  claims: HeldClaims;
  fresh: IncomingAlert[];
  signal: IncidentSignal & { channel: string };
  fate: DecidedSignal;
  skipped: AlertTriageNote | null;
  ask: TriageAsk | null;
  triageClaim: string;
}

async function decideFiring(deps: CoreDeps, g: HostGroup, policy: AlertPolicy): Promise<FiringDecision | null> {
  if (g.firing.length === 0) return null;
  const host = g.host.name;
  const claims = new HeldClaims(deps);
  const now = deps.clock.now();
  const fresh = await firstSeen(claims, now, "alert", g.firing);
  const triageClaim = `alert-triage:${host}`;
  if (fresh.length === 0) return null;
  const first = fresh[0] as IncomingAlert;
  const signal = {
    source: "alert" as const,
    host,
    actor: SOURCE_ACTOR[first.source],
    channel: g.channel,
    count: fresh.length,
    summary: `${fresh.map((a) => a.name.slice(0, 80)).join(", ")} firing`.slice(0, 400),
    // Hosts alerting together on the same alert are one fleet incident.
    causes: [`alert:${first.name.slice(0, 120)}`],
  };
  const fate = await decideSignal(deps, signal);
  // Decided only when the alerts are news to the host's incident, so a storm spends no triage slot.
  let skipped: AlertTriageNote | null = null;
  let ask: TriageAsk | null = null;
  if (fate.status === "news") {
    const every = policy.triageEveryMs ?? DEFAULT_TRIAGE_EVERY_MS;
    if (!(await deps.transport.isOnline(host))) skipped = { kind: "offline" };
    else if (!(await claims.claim(triageClaim, now, now + every))) {
      skipped = { kind: "rate-limited", minutes: Math.round(every / 60_000) };
    }
    // The claims above are what deduplicate; the key is this firing's own, so an alert still
    // firing after FIRING_MEMORY_MS gets the triage its new message announces.
    if (!skipped) ask = { requestKey: `alert:${first.source}:${first.identity}@${now}` };
  }
  return { claims, fresh, signal, fate, skipped, ask, triageClaim };
}

function firingOutcome(d: FiringDecision): AlertOutcome {
  if (d.fate.status === "counted" || d.fate.status === "muted") return d.fate.status;
  if (!d.skipped) return "started";
  return d.skipped.kind === "offline" ? "offline" : "rate-limited";
}

async function handleFiring(deps: CoreDeps, g: HostGroup, d: FiringDecision): Promise<void> {
  const host = g.host.name;
  const { claims, fresh, skipped, triageClaim } = d;
  const first = fresh[0] as IncomingAlert;
  const noteOf = (triage: TriageOutcome): AlertTriageNote =>
    skipped ??
    (triage === "failed"
      ? { kind: "failed", reason: "clawops could not queue the triage; the error was logged." }
      : { kind: "started" });
  const raised = await postOrRelease(deps, claims, host, () =>
    raiseIncident(
      deps,
      {
        ...d.signal,
        triage: d.ask,
        announce: (triage) => renderAlertFired(fresh, host, noteOf(triage)),
        audit: (triage) => {
          const note = noteOf(triage);
          return {
            action: "alert.firing",
            outcome: note.kind === "failed" ? "error" : "ok",
            detail: `${fresh.map((a) => a.name.slice(0, 80)).join(", ")} → ${NOTE_WORDS[note.kind]}`.slice(0, 500),
          };
        },
      },
      d.fate,
    ),
  );
  // A PagerDuty incident is remembered on the record it landed on (the host's, or the fleet
  // incident it was counted on): the triage's note and the resolve go to it (issue 29, item 7).
  await linkPagerDutyIncidents(
    deps,
    host,
    fresh.flatMap((a) => (a.pagerduty ? [a.pagerduty] : [])),
  );
  // When the alerts say the failure began: the postmortem's impact window starts there (issue 41).
  if (raised.status === "raised" || raised.status === "counted") {
    const since = Math.min(...fresh.map((a) => a.startedAt ?? Number.POSITIVE_INFINITY));
    if (raised.incident && Number.isFinite(since)) await noteEvidenceAt(deps, raised.incident, since);
  }
  if (raised.status === "counted") {
    // The host's incident already told of alerts: counted on it, its header edited, nothing posted.
    logTally(deps).add(
      "info",
      `alert counted:${host}`,
      "alert counted on the host's open incident",
      {
        host,
        incident: raised.incident.id,
      },
      fresh.length,
    );
    return;
  }
  if (raised.status === "muted") {
    // A maintenance freeze or a snooze holds: counted there, said at its end.
    logTally(deps).add("info", `alert muted:${host}`, "alert muted", { host, by: raised.by }, fresh.length);
    return;
  }
  // Not started: the rate limit is not spent, so the next alert on this host may triage.
  if (raised.triage === "failed") await claims.release(triageClaim);
  deps.logger.info("alert fired", {
    host,
    source: first.source,
    alerts: fresh.length,
    triage: noteOf(raised.triage).kind,
    job: raised.job?.id ?? null,
  });
  // Node: runs the triage here, in the host's turn; Workers: hands it to the host's object.
  await raised.later?.();
}

/** What the audit row says became of the triage. */
const NOTE_WORDS: Record<AlertTriageNote["kind"], string> = {
  started: "triage",
  offline: "no triage (agent offline)",
  failed: "no triage (not queued)",
  "rate-limited": "no triage (rate limit)",
};

interface ResolvedDecision {
  claims: HeldClaims;
  fresh: IncomingAlert[];
}

async function decideResolved(deps: CoreDeps, g: HostGroup): Promise<ResolvedDecision> {
  const claims = new HeldClaims(deps);
  if (g.resolved.length === 0) return { claims, fresh: [] };
  return { claims, fresh: await firstSeen(claims, deps.clock.now(), "alert-resolved", g.resolved) };
}

async function handleResolved(deps: CoreDeps, g: HostGroup, { claims, fresh }: ResolvedDecision): Promise<void> {
  if (fresh.length === 0) return;
  const host = g.host.name;
  const actor = SOURCE_ACTOR[(fresh[0] as IncomingAlert).source];
  // While other alerts of the incident still fire, a resolved one is counted, not posted.
  const names = fresh.map((a) => a.name.slice(0, 80)).join(", ");
  const counted = await countOnIncident(deps, host, { alertsResolved: fresh.length });
  if (counted && counted.counts.alertsResolved < counted.counts.alerts) {
    if (counted.counts.alertsResolved <= NAMED_ON_TIMELINE) {
      await noteTimeline(deps, host, { actor, kind: "alert.resolved", text: `${names} resolved (others still fire)` });
    }
    logTally(deps).add(
      "info",
      `alert resolved counted:${host}`,
      "alert resolved; others still fire",
      {
        host,
        incident: counted.id,
      },
      fresh.length,
    );
    return;
  }
  const thread = await postOrRelease(deps, claims, host, () =>
    noteIncident(deps, { host, channel: g.channel }, renderAlertResolved(fresh, host), {
      actor,
      kind: "alert.resolved",
      phase: "recovered",
    }),
  );
  if (!thread) deps.logger.info("alert resolved on a host with no incident thread; nothing posted", { host });
  await audit(deps, {
    at: deps.clock.now(),
    actor,
    source: "system",
    action: "alert.resolved",
    host,
    outcome: "info",
    detail:
      `${fresh.map((a) => a.name.slice(0, 80)).join(", ")} resolved${thread ? "" : " (no thread to note it in)"}`.slice(
        0,
        500,
      ),
    ref: null,
  });
}
