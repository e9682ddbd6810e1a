import { audit } from "../audit/audit.ts";
import { renderLiveHeader } from "../incidents/header.ts";
import { newIncident } from "../incidents/new-incident.ts";
import { queuePage } from "../incidents/outbox.ts";
import { appendTimeline } from "../incidents/record.ts";
import { lastDigestMoment } from "../incidents/report.ts";
import { incidentChannelFor } from "../incidents/routing.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { NO_COUNTS } from "../ports/incident-book.ts";
import type { ExpiryCalendar, ExpiryEntry } from "./calendar.ts";
import { collectExpiries } from "./collect.ts";
import { renderExpiries } from "./render.ts";

/**
 * The radar's two schedules (issue 42, item 3): the calendar posted to a channel once a week
 * (CLAWOPS_EXPIRIES_CHANNEL, at its weekday and hour, as the incident digest), and once a day an
 * incident opened for each expiry within CLAWOPS_EXPIRIES_PAGE_DAYS (once per credential and
 * expiry date), which pages when the paging policy names `expiry`. One reading serves both.
 */
/**
 * `channel`: where the weekly calendar goes (unset: no weekly post); `weekday` 0 = Sunday …
 * 6 = Saturday; `hourUtc`: the weekly post's hour and the daily check's; `pageDays`: open an
 * incident this many days before an expiry (unset: none).
 */
export type ExpiriesRadar = NonNullable<CoreDeps["expiries"]>;

const DAY = 86_400_000;
/** How long a page's claim outlives its expiry date: a renewed credential has another date, so another key. */
const PAGE_CLAIM_AFTER_MS = 30 * DAY;

/** The daily check's moment that `now` falls in or after. */
export function lastDailyMoment(hourUtc: number, now: number): number {
  const d = new Date(now);
  const moment = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hourUtc);
  return moment > now ? moment - DAY : moment;
}

/** The radar's next moment, for a runtime that must set an alarm; null when nothing is scheduled. */
export function nextRadarMoment(s: ExpiriesRadar | undefined, now: number): number | null {
  if (!s) return null;
  const next: number[] = [];
  if (s.pageDays !== undefined) next.push(lastDailyMoment(s.hourUtc, now) + DAY);
  if (s.channel) next.push(lastDigestMoment({ channel: s.channel, ...s }, now) + 7 * DAY);
  return next.length > 0 ? Math.min(...next) : null;
}

/**
 * Runs what is due: the week's post (claimed by its moment, so two sweeps or two processes post
 * once; skipped when over a day late, as the digest) and the day's pages (claimed by the day).
 * The calendar is read once for both. Returns the next moment. Logged, never thrown.
 */
export async function sweepExpiries(deps: CoreDeps, s: ExpiriesRadar | undefined): Promise<number | null> {
  if (!s) return null;
  const now = deps.clock.now();
  const next = nextRadarMoment(s, now);
  const week = s.channel ? lastDigestMoment({ channel: s.channel, ...s }, now) : null;
  const day = lastDailyMoment(s.hourUtc, now);
  try {
    const post =
      week !== null && now - week <= DAY && (await deps.store.claim(`expiries-post:${week}`, now, week + 8 * DAY));
    const page = s.pageDays !== undefined && (await deps.store.claim(`expiries-page:${day}`, now, day + 2 * DAY));
    if (!post && !page) return next;
    const calendar = await collectExpiries(deps);
    if (post && s.channel) {
      const message = renderExpiries(calendar);
      await deps.chat.postMessage({ channel: s.channel, text: `Weekly ${message.text}`, parts: message.parts });
    }
    if (page && s.pageDays !== undefined) await openExpiryIncidents(deps, calendar, { ...s, pageDays: s.pageDays });
  } catch (err) {
    deps.logger.error("expiry radar sweep failed", { err: String(err) });
  }
  return next;
}

/** Whether an entry warrants an incident: inside the window, and not a token OpenClaw refreshes itself. */
export function pageable(e: ExpiryEntry, pageDays: number, now: number): boolean {
  if (e.expiresAt - now > pageDays * DAY) return false;
  // An OAuth access token OpenClaw refreshes before it lapses: only a lapsed one is news.
  return !(e.refreshes && !e.expired);
}

/** `TLS certificate of node-3 expires in 5 days`. */
export function expiryTitle(e: ExpiryEntry): string {
  const what =
    e.kind === "tls-certificate"
      ? "TLS certificate"
      : e.what.replace(/^model credential/, "Model credential").replace(/ \([^)]*\)$/, "");
  const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;
  const when = e.expired
    ? e.daysLeft === 0
      ? "expired today"
      : `expired ${days(-e.daysLeft)} ago`
    : `expires in ${days(e.daysLeft)}`;
  return `${what} of ${e.host} ${when}`;
}

/**
 * One incident per credential and expiry date (a claim keyed by host, kind, fingerprint or name,
 * and the date): the next day's check finds the claim and opens nothing, resolved or not.
 */
export async function openExpiryIncidents(
  deps: CoreDeps,
  calendar: ExpiryCalendar,
  s: Pick<ExpiriesRadar, "channel"> & { pageDays: number },
): Promise<string[]> {
  const now = deps.clock.now();
  const opened: string[] = [];
  const hosts = new Map((await deps.store.listHosts()).map((h) => [h.name, h]));
  for (const e of calendar.entries.filter((x) => pageable(x, s.pageDays, now))) {
    const host = hosts.get(e.host);
    const channel = (host && incidentChannelFor(deps.incidents, host)) ?? s.channel;
    if (!channel) {
      deps.logger.error("expiry incident not opened: no channel", { host: e.host, what: e.what });
      continue;
    }
    // The name without its status (`(token, expiring)` becomes `(token, expired)`): one credential, one key.
    const name = e.fingerprint ?? e.what.replace(/ \([^)]*\)$/, "");
    const key = `expiry-page:${e.host}:${e.kind}:${name}:${new Date(e.expiresAt).toISOString().slice(0, 10)}`;
    const until = Math.max(e.expiresAt, now) + PAGE_CLAIM_AFTER_MS;
    if (!(await deps.store.claim(key, now, until))) continue;
    try {
      const title = expiryTitle(e);
      const candidate = {
        ...newIncident(deps, {
          source: "expiry",
          host: e.host,
          actor: "clawops expiries",
          channel,
          causes: [`expiry:${e.kind}`],
          counts: { ...NO_COUNTS, hosts: 1 },
          severity: "sev3",
        }),
        title,
      };
      const stored = await deps.store.openIncident(candidate, key);
      await appendTimeline(deps, deps.store, stored, {
        actor: "clawops expiries",
        kind: "opened",
        text: `${title} (${new Date(e.expiresAt).toISOString()}; CLAWOPS_EXPIRIES_PAGE_DAYS=${s.pageDays})${e.fingerprint ? ` · sha256 ${e.fingerprint}` : ""}`,
      });
      // Record first, deliver after: the page is queued (by the paging policy) before the header is posted.
      await queuePage(deps, stored, "trigger", { summary: title });
      const posted = await deps.chat.postMessage({ channel, ...renderLiveHeader(stored, now) });
      const linked = await deps.store.updateIncident(stored.id, ["open", "acknowledged"], {
        threadTs: posted.ts,
        headerAt: now,
        headerStale: false,
      });
      if (!linked) deps.logger.info("expiry incident resolved before its header was linked", { id: stored.id });
      await audit(deps, {
        at: now,
        actor: "clawops expiries",
        source: "system",
        action: "incident.declare",
        host: e.host,
        outcome: "ok",
        detail: `${stored.id} (sev3): ${title}`.slice(0, 500),
        ref: stored.id,
      });
      opened.push(stored.id);
    } catch (err) {
      // Nothing opened for this one: tomorrow's check tries again.
      await deps.store.release(key, until);
      deps.logger.error("expiry incident not opened", { host: e.host, what: e.what, err: String(err) });
    }
  }
  return opened;
}
