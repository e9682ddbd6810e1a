import { errorMessage } from "../../contract/errors.ts";
import { postNotice } from "../chat/notices.ts";
import { createJob } from "../jobs/create.ts";
import { context, escapeMrkdwn, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord, MutedCounts } from "../ports/recovery.ts";
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
    const notices = f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }];
    await postNotice(deps, notices, renderMaintenanceEnd(f, triaged, [...online.slice(MAX_TRIAGED), ...offline]));
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

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** What a maintenance freeze muted, and which hosts a triage now compares with before it. */
export function renderMaintenanceEnd(
  f: FreezeRecord,
  triaged: readonly string[],
  notTriaged: readonly string[],
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
  return {
    text,
    parts: [
      section(`🧊 *Maintenance of ${escapeMrkdwn(what)} over.* ${said} ${next}`),
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
