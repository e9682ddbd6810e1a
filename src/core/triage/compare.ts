import type { StepResult } from "../../contract/catalog.ts";
import { TRIAGE_STEP_NAMES } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import { context, escapeMrkdwn, section } from "../messages/build.ts";
import { isoSeconds } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { JobRecord } from "../ports/store.ts";

/**
 * A triage that compares itself with an earlier one: the triage a maintenance freeze runs at its
 * end (freezes/maintenance.ts) is keyed `maintenance:<when the freeze began>:<host>`, and when
 * it finishes it says which findings are new since the last triage of the host before that
 * moment, which cleared, and which stayed ("2 new findings since the maintenance began").
 */
const PREFIX = "maintenance:";

export function maintenanceTriageKey(since: number, host: string): string {
  return `${PREFIX}${since}:${host}`;
}

/** When the maintenance began, for a triage keyed by maintenanceTriageKey; else null. */
export function maintenanceSince(requestKey: string): number | null {
  const m = /^maintenance:(\d+):/.exec(requestKey);
  return m?.[1] ? Number(m[1]) : null;
}

/** Posts the comparison of a finished maintenance triage in its thread. Throws what the post throws. */
export async function postMaintenanceComparison(
  deps: CoreDeps,
  job: JobRecord,
  results: readonly StepResult[],
  threadTs: string,
): Promise<void> {
  const since = maintenanceSince(job.requestKey);
  if (since === null) return;
  const earlier = (await deps.store.listJobs({ host: job.host, status: "done", limit: 200 })).find(
    (j) => j.kind === "triage" && j.createdAt < since && j.id !== job.id,
  );
  const before = earlier ? await deps.store.getJob(earlier.id) : null;
  const now = classifyResults(results, TRIAGE_STEP_NAMES).findings.map((f) => f.id);
  const then = before ? classifyResults(before.results, TRIAGE_STEP_NAMES).findings.map((f) => f.id) : null;
  await deps.chat.postMessage({
    channel: job.channel,
    threadTs,
    ...renderComparison(job.host, since, now, then ? { at: before?.createdAt ?? 0, findings: then } : null),
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const ids = (list: readonly string[]) => list.map((id) => `\`${escapeMrkdwn(id)}\``).join(", ");

export function renderComparison(
  host: string,
  since: number,
  now: readonly string[],
  before: { at: number; findings: readonly string[] } | null,
): Message {
  if (!before) {
    const text = `After the maintenance of ${host}: no triage from before it began to compare with`;
    return {
      text,
      parts: [
        section(
          `🔎 *After the maintenance of ${escapeMrkdwn(host)}:* no triage of this host finished before the maintenance began (${isoSeconds(since)}), so there is nothing to compare with. This triage's findings: ${now.length ? ids(now) : "none"}.`,
        ),
      ],
    };
  }
  const added = now.filter((id) => !before.findings.includes(id));
  const cleared = before.findings.filter((id) => !now.includes(id));
  const kept = now.filter((id) => before.findings.includes(id));
  const text = `After the maintenance of ${host}: ${plural(added.length, "new finding")} since it began`;
  const lines = [
    added.length
      ? `*${plural(added.length, "new finding")}* since the maintenance began: ${ids(added)}.`
      : "No finding is new since the maintenance began.",
    ...(cleared.length ? [`${plural(cleared.length, "finding")} cleared: ${ids(cleared)}.`] : []),
    ...(kept.length ? [`${plural(kept.length, "finding")} as before: ${ids(kept)}.`] : []),
  ];
  return {
    text,
    parts: [
      section(`🔎 *After the maintenance of ${escapeMrkdwn(host)}:* ${lines.join(" ")}`),
      context(
        `compared with the triage of ${isoSeconds(before.at)}, the last before the maintenance began at ${isoSeconds(since)}`,
      ),
    ],
  };
}
