import { errorMessage } from "../../contract/errors.ts";
import { postNotice } from "../chat/notices.ts";
import { raiseIncident } from "../incidents/pipeline.ts";
import { createJob } from "../jobs/create.ts";
import { clip, context, escapeMrkdwn, section } from "../messages/build.ts";
import { clockTime } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord, MutedCounts } from "../ports/recovery.ts";
import type { WatchRecord } from "../ports/watch-record.ts";
import { maintenanceTriageKey } from "../triage/compare.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";

/**
 * Maintenance freezes (docs/incidents.md, "Mute and snooze"): a freeze whose reason begins with
 * "maintenance", and every scheduled freeze, mutes the watch's and alerts' incidents for its
 * hosts while it holds (incidents/pipeline.ts counts what it muted on the freeze). When it ends,
 * however it ends (expired, lifted, its window over), this says what it muted and runs a triage
 * of its hosts, which compares itself with the last triage before the freeze began
 * (triage/compare.ts).
 */

/** Whether a person's freeze reason marks it as maintenance. */
export function isMaintenanceReason(reason: string): boolean {
  return /^\s*maintenance\b/i.test(reason);
}

/** At most this many hosts of a fleet-wide maintenance are triaged at its end; the rest are named. */
const MAX_TRIAGED = 10;

/** After a maintenance freeze ended: what it muted, and the comparing triages. Logged, never thrown. */
export async function endMaintenance(deps: CoreDeps, f: FreezeRecord): Promise<void> {
  if (!f.maintenance) return;
  try {
    const online: string[] = [];
    const offline: string[] = [];
    const hosts =
      f.target === FREEZE_ALL
        ? (await deps.store.listHosts()).filter((h) => h.revokedAt === null).map((h) => h.name)
        : [f.target];
    for (const host of hosts) ((await deps.transport.isOnline(host)) ? online : offline).push(host);
    const triaged = online.slice(0, MAX_TRIAGED);
    const failing = await stillFailing(deps, hosts);
    const notices = f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }];
    await postNotice(
      deps,
      notices,
      renderMaintenanceEnd(
        f,
        triaged,
        [...online.slice(MAX_TRIAGED), ...offline],
        failing.map((w) => w.host),
      ),
    );
    // Muted while it held, failing now: the incident the watch would have opened opens now.
    for (const w of failing) await raiseStillFailing(deps, f, w, triaged.includes(w.host));
    for (const host of triaged) {
      const job = await createJob(deps, "triage", {
        host,
        channel: f.channel,
        user: f.owner,
        requestKey: maintenanceTriageKey(f.createdAt, host),
      });
      // Not awaited: the triage runs in its host's turn, and compares itself when it finishes.
      if (job) {
        void deps.jobs
          .start(deps, { kind: "triage", job })
          .catch((err: unknown) => deps.logger.error("maintenance triage failed", { host, err: errorMessage(err) }));
      }
    }
  } catch (err) {
    deps.logger.error("maintenance end not told", { target: f.target, err: errorMessage(err) });
  }
}

/** The hosts whose watch holds them failing (fresh, not stale) as the maintenance ends. */
async function stillFailing(deps: CoreDeps, hosts: readonly string[]): Promise<WatchRecord[]> {
  if (!deps.store.getWatch) return [];
  const failing: WatchRecord[] = [];
  for (const host of hosts) {
    const w = await deps.store.getWatch(host);
    if (w?.held && !w.held.healthy && !w.stale) failing.push(w);
  }
  return failing;
}

/**
 * A host the watch holds failing when its maintenance ends: its incident opens (or, open
 * already, is kept and counted) as a watch failure, paged like one. The maintenance's own
 * comparing triage follows in the same thread, so no second triage is asked for a host it covers.
 */
async function raiseStillFailing(deps: CoreDeps, f: FreezeRecord, w: WatchRecord, triaged: boolean): Promise<void> {
  const held = w.held;
  if (!held) return;
  try {
    await raiseIncident(deps, {
      source: "watch",
      host: w.host,
      actor: MAINTENANCE_ACTOR,
      triage: triaged ? null : { requestKey: `watch:${w.host}:${held.since}` },
      causes: held.findingIds.slice(0, 1).map((id) => `finding:${id}`),
      announce: () => renderStillFailing(f, w),
    });
  } catch (err) {
    deps.logger.error("maintenance end: failing host's incident not opened", {
      host: w.host,
      err: errorMessage(err),
    });
  }
}

/** Who opens the incident of a host still failing when its maintenance ends. */
const MAINTENANCE_ACTOR = "clawops watch";

/** The watch's line for a host that is still failing when its maintenance ends. */
export function renderStillFailing(f: FreezeRecord, w: WatchRecord): Message {
  const held = w.held ?? { since: w.reportedAt, reason: w.last.reason, findingIds: w.last.findingIds };
  const what = f.target === FREEZE_ALL ? "the fleet" : f.target;
  const text = `Watch: ${w.host} is failing at the end of the maintenance of ${what}: ${held.reason}`;
  return {
    text,
    parts: [
      section(
        `🔴 *Watch:* the maintenance of *${escapeMrkdwn(what)}* is over and *${escapeMrkdwn(w.host)}* is failing, since ${clockTime(held.since)}: ${escapeMrkdwn(clip(held.reason, 200))}.`,
      ),
      context(
        `held by the watch while the maintenance muted it · findings: ${held.findingIds.map((id) => `\`${id}\``).join(", ") || "none"} · a triage follows in this thread`,
      ),
    ],
  };
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** What a maintenance freeze muted, and which hosts a triage now compares with before it. */
export function renderMaintenanceEnd(
  f: FreezeRecord,
  triaged: readonly string[],
  notTriaged: readonly string[],
  /** Hosts the watch holds failing as it ends: each has its incident opened. */
  failing: readonly string[] = [],
): Message {
  const m: MutedCounts = { alerts: 0, watch: 0, silences: 0, ...f.muted };
  const total = m.alerts + m.watch + m.silences;
  const what = f.target === FREEZE_ALL ? "the fleet" : f.target;
  const counted = [
    m.alerts ? plural(m.alerts, "alert") : "",
    m.watch ? plural(m.watch, "watch failure") : "",
    m.silences ? plural(m.silences, "lost agent") : "",
  ]
    .filter(Boolean)
    .join(", ");
  const text = `Maintenance of ${what} over: ${total === 0 ? "nothing muted" : `muted ${counted}`}`;
  const said =
    total === 0
      ? "Nothing came in to mute while it held (no alert, watch failure or lost agent)."
      : `While it held, clawops muted ${counted}.`;
  const next =
    triaged.length > 0
      ? `A triage of ${triaged.map((h) => `*${escapeMrkdwn(h)}*`).join(", ")} follows in ${triaged.length === 1 ? "its" : "each host's"} thread and says what changed since the maintenance began.`
      : "No host's agent is online: no triage can compare it with before the maintenance.";
  const broken =
    failing.length > 0
      ? ` *Still failing:* ${failing
          .slice(0, 20)
          .map((h) => `*${escapeMrkdwn(h)}*`)
          .join(
            ", ",
          )}${failing.length > 20 ? ", …" : ""}: the watch holds ${failing.length === 1 ? "it" : "them"} failing, so ${failing.length === 1 ? "its incident is" : "their incidents are"} open.`
      : "";
  return {
    text: failing.length > 0 ? `${text}; still failing: ${failing.join(", ")}` : text,
    parts: [
      section(`🧊 *Maintenance of ${escapeMrkdwn(what)} over.* ${said}${broken} ${next}`),
      ...(notTriaged.length > 0
        ? [
            context(
              `not triaged now: ${notTriaged.slice(0, 20).map(escapeMrkdwn).join(", ")}${notTriaged.length > 20 ? ", …" : ""}`,
            ),
          ]
        : []),
    ],
  };
}
