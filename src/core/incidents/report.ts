import { ClawopsError } from "../errors.ts";
import { clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { duration, isoSeconds, mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentAction } from "../ports/incident-book.ts";

/**
 * `/openclaw report [30d]` and `clawops report [--since 30d] [--json]` (issue 40, item 7): the
 * incidents opened in a window, by host, top finding, source and severity; time to acknowledge
 * (MTTA) and to resolve (MTTR), median and 90th percentile; pages sent; the noisiest hosts.
 * Read from the records alone: nothing is probed.
 */
export interface IncidentReport {
  since: number;
  until: number;
  incidents: number;
  open: number;
  bySource: Record<string, number>;
  bySeverity: Record<string, number>;
  byHost: { host: string; incidents: number; signals: number }[];
  byFinding: { finding: string; incidents: number }[];
  /** Seconds; null when no incident of the window was acknowledged (resolved). */
  mtta: { median: number | null; p90: number | null; n: number };
  mttr: { median: number | null; p90: number | null; n: number };
  pages: { sent: number; failed: number };
  /** The window's incidents' follow-up actions (issue 41, item 5): how many open and done, the open ones oldest first. */
  followUps: { open: number; done: number; openItems: IncidentAction[] };
}

/** How far back a report reads by default, and at most. */
export const REPORT_DEFAULT_DAYS = 30;
const REPORT_MAX_DAYS = 366;

/** `7d`, `30d`, `12h`: the window a report reads. */
export function parseSince(raw: string | undefined): number {
  if (!raw) return REPORT_DEFAULT_DAYS * 86_400_000;
  const m = /^(\d{1,4})([dh])$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * (m[2] === "d" ? 86_400_000 : 3_600_000) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > REPORT_MAX_DAYS * 86_400_000) {
    throw new ClawopsError(
      "bad_request",
      "Usage: `/openclaw report [<N>d|<N>h]` (default 30d, at most 366d), e.g. `/openclaw report 7d`.",
    );
  }
  return ms;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? null;
}

const signalsOf = (i: Incident) => i.counts.alerts + i.counts.watch + i.counts.silences + i.counts.triages;

export async function incidentReport(deps: CoreDeps, windowMs: number): Promise<IncidentReport> {
  const until = deps.clock.now();
  const since = until - windowMs;
  const all = (await deps.store.listIncidents({ limit: 10_000 })).filter((i) => i.openedAt >= since);
  const count = (key: (i: Incident) => string[]) => {
    const m = new Map<string, number>();
    for (const i of all) for (const k of key(i)) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const hosts = new Map<string, { incidents: number; signals: number }>();
  for (const i of all.filter((x) => x.source !== "fleet")) {
    for (const h of i.hosts) {
      const row = hosts.get(h) ?? { incidents: 0, signals: 0 };
      row.incidents += 1;
      row.signals += signalsOf(i);
      hosts.set(h, row);
    }
  }
  const findings = count((i) =>
    i.causes
      .filter((c) => c.startsWith("finding:"))
      .map((c) => c.slice(8))
      .slice(0, 1),
  );
  const acked = all
    .filter((i) => i.acknowledgedAt !== null)
    .map((i) => ((i.acknowledgedAt as number) - i.openedAt) / 1000);
  const resolved = all.filter((i) => i.resolvedAt !== null).map((i) => ((i.resolvedAt as number) - i.openedAt) / 1000);
  acked.sort((a, b) => a - b);
  resolved.sort((a, b) => a - b);
  const ids = new Set(all.map((i) => i.id));
  const actions = (await deps.store.listIncidentActions({ limit: 10_000 })).filter((a) => ids.has(a.incidentId));
  const pages = (await deps.store.listOutbox({ limit: 10_000 })).filter(
    (o) => o.kind.startsWith("page:") && o.createdAt >= since,
  );
  return {
    since,
    until,
    incidents: all.length,
    open: all.filter((i) => i.state !== "resolved").length,
    bySource: Object.fromEntries(count((i) => [i.source])),
    bySeverity: Object.fromEntries(count((i) => [i.severity])),
    byHost: [...hosts]
      .map(([host, r]) => ({ host, ...r }))
      .sort((a, b) => b.incidents - a.incidents || b.signals - a.signals || a.host.localeCompare(b.host)),
    byFinding: [...findings]
      .map(([finding, incidents]) => ({ finding, incidents }))
      .sort((a, b) => b.incidents - a.incidents || a.finding.localeCompare(b.finding)),
    mtta: { median: quantile(acked, 0.5), p90: quantile(acked, 0.9), n: acked.length },
    mttr: { median: quantile(resolved, 0.5), p90: quantile(resolved, 0.9), n: resolved.length },
    pages: {
      sent: pages.filter((p) => p.state === "sent" && p.key.endsWith(":trigger")).length,
      failed: pages.filter((p) => p.state === "failed").length,
    },
    followUps: {
      open: actions.filter((a) => a.state === "open").length,
      done: actions.filter((a) => a.state === "done").length,
      openItems: actions.filter((a) => a.state === "open"),
    },
  };
}

const seconds = (s: number | null) => (s === null ? "–" : duration(s * 1000));
const list = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${escapeMrkdwn(k)} ${n}`)
    .join(" · ") || "none";

export function renderIncidentReport(r: IncidentReport): Message {
  const title = `Incident report: ${isoSeconds(r.since)} to ${isoSeconds(r.until)}`;
  const text = `${title}: ${r.incidents} incident${r.incidents === 1 ? "" : "s"}, ${r.open} open`;
  const hosts = r.byHost
    .slice(0, 10)
    .map(
      (h) =>
        `• *${escapeMrkdwn(h.host)}*: ${h.incidents} incident${h.incidents === 1 ? "" : "s"}, ${h.signals.toLocaleString("en-US")} signals`,
    );
  const findings = r.byFinding.slice(0, 10).map((f) => `• \`${f.finding}\`: ${f.incidents}`);
  const followUps = r.followUps.openItems
    .slice(0, 10)
    .map(
      (a) =>
        `• \`${a.incidentId}\` #${a.n} ${escapeMrkdwn(clip(a.text, 120))} · ${a.owner ? `owner ${mention(a.owner)}` : "no owner yet"}`,
    );
  const moreFollowUps = r.followUps.openItems.length - followUps.length;
  return {
    text,
    parts: [
      header("Incident report"),
      section(
        [
          `*Window:* ${isoSeconds(r.since)} → ${isoSeconds(r.until)}`,
          `*Incidents:* ${r.incidents} (${r.open} still open)`,
          `*By source:* ${list(r.bySource)}`,
          `*By severity:* ${list(r.bySeverity)}`,
          `*MTTA:* median ${seconds(r.mtta.median)}, p90 ${seconds(r.mtta.p90)} (${r.mtta.n} acknowledged)`,
          `*MTTR:* median ${seconds(r.mttr.median)}, p90 ${seconds(r.mttr.p90)} (${r.mttr.n} resolved)`,
          `*Pages:* ${r.pages.sent} sent${r.pages.failed ? `, ${r.pages.failed} failed` : ""}`,
        ].join("\n"),
      ),
      section(clip(`*Noisiest hosts*\n${hosts.join("\n") || "none"}`, 2_900)),
      section(clip(`*Top findings*\n${findings.join("\n") || "none"}`, 2_900)),
      section(
        clip(
          `*Follow-up actions:* ${r.followUps.open} open, ${r.followUps.done} done${followUps.length ? `\n${followUps.join("\n")}${moreFollowUps > 0 ? `\n… and ${moreFollowUps} more` : ""}` : ""}`,
          2_900,
        ),
      ),
      context("`clawops report --since 30d --json` has every row; `/metrics` has MTTA and MTTR as histograms."),
    ],
  };
}

/** The weekly digest (CLAWOPS_DIGEST_CHANNEL): where, and on which weekday and hour (UTC). */
export interface DigestSettings {
  channel: string;
  /** 0 = Sunday … 6 = Saturday (default 1, Monday). */
  weekday: number;
  hourUtc: number;
}

/** The digest's moment of the week that `now` falls in or after (the last one not in the future). */
export function lastDigestMoment(s: DigestSettings, now: number): number {
  const d = new Date(now);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), s.hourUtc);
  const back = (d.getUTCDay() - s.weekday + 7) % 7;
  let moment = day - back * 86_400_000;
  if (moment > now) moment -= 7 * 86_400_000;
  return moment;
}

/**
 * Posts the week's report to the digest channel once per week (a claim keyed by the week's
 * moment, so two sweeps or two processes post it once), when its moment has come and less than
 * a day ago (a control plane down for the whole day skips that week rather than post it late).
 * The next moment, for a runtime that must set an alarm. Logged, never thrown.
 */
export async function postWeeklyDigest(deps: CoreDeps, s: DigestSettings | undefined): Promise<number | null> {
  if (!s) return null;
  const now = deps.clock.now();
  const moment = lastDigestMoment(s, now);
  const next = moment + 7 * 86_400_000;
  if (now - moment > 86_400_000) return next;
  try {
    if (!(await deps.store.claim(`digest:${moment}`, now, moment + 8 * 86_400_000))) return next;
    const report = await incidentReport(deps, 7 * 86_400_000);
    const message = renderIncidentReport(report);
    await deps.chat.postMessage({ channel: s.channel, text: `Weekly ${message.text}`, parts: message.parts });
  } catch (err) {
    deps.logger.error("weekly incident digest not posted", { channel: s.channel, err: String(err) });
  }
  return next;
}

/** CLAWOPS_DIGEST_CHANNEL, CLAWOPS_DIGEST_DAY (`mon` … `sun`, default mon), CLAWOPS_DIGEST_HOUR_UTC (default 9). */
export function digestFromEnv(env: Readonly<Record<string, string | undefined>>): DigestSettings | undefined {
  const channel = env.CLAWOPS_DIGEST_CHANNEL?.trim();
  if (!channel) return undefined;
  const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
  const day = (env.CLAWOPS_DIGEST_DAY?.trim().toLowerCase() || "mon").slice(0, 3);
  const weekday = days.indexOf(day);
  if (weekday < 0) throw new Error(`CLAWOPS_DIGEST_DAY: "${day}" is not a weekday (mon … sun).`);
  const hour = Number(env.CLAWOPS_DIGEST_HOUR_UTC?.trim() || "9");
  if (!Number.isInteger(hour) || hour < 0 || hour > 23)
    throw new Error("CLAWOPS_DIGEST_HOUR_UTC: an hour from 0 to 23.");
  return { channel, weekday, hourUtc: hour };
}
