import { readArchiveFiles } from "../bundles/archive.ts";
import { duration } from "../messages/format.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentEvent } from "../ports/incident-book.ts";
import { findingsBlocks, sentence, summaryText, timelineTable, utc } from "./content.ts";
import {
  type Block,
  type Doc,
  fromMrkdwn,
  heading,
  type Inline,
  list,
  mrkdwnInlines,
  para,
  toMarkdown,
} from "./doc.ts";
import type { IncidentStory } from "./story.ts";
import { teamBlocks } from "./team-words.ts";

/**
 * The postmortem draft (issue 29, item 8): Markdown written from the incident's record alone,
 * the same every time it is drawn from the same record (no model, no clock: every time in it is
 * a recorded one). Laid out as teams write them: summary, impact window, the false green,
 * findings, timeline, actions and who approved them, what changed, and the two parts only
 * people can write (the root cause confirmed, the follow-ups), marked *To fill in*.
 */

/** What the host's own logs and config say changed before the failure (from the last bundle). */
export type HostChanges =
  | {
      kind: "read";
      bundleId: string;
      events: { at: string; kind: string; detail: string }[];
      versions: string | null;
    }
  | { kind: "none"; why: string };

/** The bundle timeline kinds that are changes (closes are the failure itself, not a change). */
const CHANGE_KINDS = new Set([
  "upgrade",
  "config-edit",
  "config-backup",
  "config-reload",
  "config-reload-failed",
  "token-rotation",
  "gateway-start",
  "gateway-stop",
]);
const LOOK_BACK_MS = 24 * 3_600_000;
const MAX_CHANGES = 15;

/** Reads the changes from the incident's last bundle, when it is still kept. */
export async function readHostChanges(deps: CoreDeps, story: IncidentStory): Promise<HostChanges> {
  const host = story.incident.hosts[0] ?? "<host>";
  if (!story.bundle) {
    return {
      kind: "none",
      why: `No repro bundle was collected during the incident, so clawops did not read what changed on the host; \`/openclaw bundle ${host}\` reads versions, config edits, reloads and token rotations.`,
    };
  }
  if (!deps.bundles.on)
    return { kind: "none", why: `Bundle ${story.bundle.id} cannot be read here (bundles are off).` };
  const blob = await deps.bundles.use.blobs.get(`${story.bundle.id}.zip`).catch(() => null);
  if (!blob)
    return { kind: "none", why: `Bundle ${story.bundle.id} is no longer kept, so what changed could not be read.` };
  const files = readArchiveFiles(blob.bytes, ["timeline.json", "versions.json"]);
  const from = story.incident.openedAt - LOOK_BACK_MS;
  const to = story.incident.resolvedAt ?? story.timeline.at(-1)?.at ?? story.incident.updatedAt;
  const events = parse<{ events?: { at?: string; kind?: string; detail?: string }[] }>(files["timeline.json"])
    ?.events?.filter((e) => e.at && e.kind && CHANGE_KINDS.has(e.kind))
    .filter((e) => {
      const at = Date.parse(e.at as string);
      return at >= from && at <= to;
    })
    .slice(-MAX_CHANGES)
    .map((e) => ({ at: e.at as string, kind: e.kind as string, detail: (e.detail ?? "").slice(0, 200) }));
  const v = parse<{
    cli?: { version?: string | null };
    gatewayPackage?: { version?: string | null };
    os?: { pretty?: string | null };
    node?: string;
    agent?: string;
  }>(files["versions.json"]);
  return {
    kind: "read",
    bundleId: story.bundle.id,
    events: events ?? [],
    versions: v
      ? `OpenClaw CLI ${v.cli?.version ?? "?"}, gateway package ${v.gatewayPackage?.version ?? "?"}, ${v.os?.pretty ?? "?"}, Node ${v.node ?? "?"}, clawops agent ${v.agent ?? "?"}`
      : null,
  };
}

function parse<T>(text: string | undefined): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** The timeline entries that are things people and clawops did. */
const ACTION_KINDS = new Set([
  "acknowledged",
  "freeze",
  "button",
  "approval",
  "recover",
  "bundle",
  "ticket",
  "pagerduty",
  "resolved",
  // Issue 41: a role taken or handed over.
  "role",
]);

const when = (at: number) => `${utc(at)} UTC`;
const first = (t: readonly IncidentEvent[], pred: (e: IncidentEvent) => boolean) => t.find(pred) ?? null;
const lastOf = (t: readonly IncidentEvent[], pred: (e: IncidentEvent) => boolean) => t.filter(pred).at(-1) ?? null;

function impactWindow(story: IncidentStory): Block[] {
  const { incident, timeline } = story;
  const firstSignal = timeline[0] ?? null;
  const acked = first(timeline, (e) => e.kind === "acknowledged");
  const recovered =
    lastOf(timeline, (e) => e.kind === "recover" && e.text.startsWith("recovered")) ??
    lastOf(timeline, (e) => (e.kind === "watch" || e.kind === "note") && /recover/i.test(e.text));
  const healthy =
    story.latest && story.latest !== story.failure && !story.latest.findings.some((f) => f.severity === "fail")
      ? story.latest
      : null;
  const evidence = earliestEvidence(story);
  const rows: Inline[][][] = [
    ...(evidence ? [[["Earliest evidence"], [when(evidence.at)], [evidence.what]]] : []),
    [
      ["First signal"],
      [firstSignal ? when(firstSignal.at) : when(incident.openedAt)],
      firstSignal
        ? [`${firstSignal.kind}: `, ...mrkdwnInlines(firstSignal.text.slice(0, 160))]
        : [`opened by ${incident.openedBy}`],
    ],
  ];
  if (story.failure) {
    rows.push([
      ["Failure confirmed"],
      [when(story.failure.at)],
      [`triage ${story.failure.jobId}: ${story.failure.findings[0]?.title ?? "no finding"}`],
    ]);
  }
  if (acked) rows.push([["Acknowledged"], [when(acked.at)], [`by ${acked.actor}`]]);
  if (recovered) rows.push([["Recovered"], [when(recovered.at)], mrkdwnInlines(recovered.text.slice(0, 160))]);
  else if (healthy)
    rows.push([["Healthy again"], [when(healthy.at)], [`triage ${healthy.jobId} found no failing layer`]]);
  rows.push(
    incident.resolvedAt !== null
      ? [["Resolved"], [when(incident.resolvedAt)], [`by ${incident.resolvedBy ?? "?"}`]]
      : [["Resolved"], ["not yet"], [`the last entry is at ${when(timeline.at(-1)?.at ?? incident.updatedAt)}`]],
  );
  const start = evidence?.at ?? firstSignal?.at ?? incident.openedAt;
  const from = evidence ? "the earliest evidence" : "the first signal";
  const end = recovered?.at ?? healthy?.at ?? incident.resolvedAt;
  return [
    { kind: "table", header: ["", "When", "From the record"], rows },
    para(
      `Hosts: ${incident.hosts.join(", ")}. `,
      end !== null && end !== undefined
        ? `Impact: ${duration(end - start)} from ${from} to ${recovered || healthy ? "recovery" : "the resolve"}${incident.resolvedAt !== null ? `; ${duration(incident.resolvedAt - start)} to the resolve` : ""}.`
        : "Impact: ongoing when drafted (not recovered or resolved yet).",
    ),
  ];
}

/**
 * When the evidence says the failure began, if before clawops detected it (issue 41): the
 * alert's `startsAt` (kept on the record as evidenceAt), or, when the first failing triage found
 * the gateway not running, the newest line of its own log (it wrote nothing after), within the
 * day before detection. Null when neither is earlier than the first signal.
 */
function earliestEvidence(story: IncidentStory): { at: number; what: string } | null {
  const detected = story.timeline[0]?.at ?? story.incident.openedAt;
  const found: { at: number; what: string }[] = [];
  const alertAt = story.incident.evidenceAt;
  if (alertAt !== null && alertAt !== undefined && alertAt < detected) {
    found.push({ at: alertAt, what: "the alert's startsAt: when the alerting system saw it begin" });
  }
  const failure = story.failure;
  const logAt = failure?.logNewestAt ?? null;
  if (
    failure &&
    logAt !== null &&
    failure.findings.some((f) => f.id === "gateway-down") &&
    logAt < detected &&
    logAt >= detected - LOOK_BACK_MS
  ) {
    found.push({
      at: logAt,
      what: `the gateway's own log ends here (triage ${failure.jobId} found it not running)`,
    });
  }
  return found.sort((a, b) => a.at - b.at)[0] ?? null;
}

function falseGreen(story: IncidentStory): Block[] {
  const greens = (story.failure?.findings ?? []).filter((f) => f.severity === "fail" && f.falseGreen);
  if (greens.length === 0) {
    return [
      para(
        story.failure
          ? "No check people trust was green beside a failing layer in the triages recorded: nothing reported healthy while it was broken."
          : "No triage finished, so clawops cannot say which check looked healthy.",
      ),
    ];
  }
  return [
    para("What looked healthy while the gateway was not (from the first failing triage):"),
    list(greens.map((f) => [{ strong: f.title }, ": ", ...mrkdwnInlines(sentence(f.falseGreen ?? ""))])),
  ];
}

function rootCause(story: IncidentStory): Block[] {
  const top = story.failure?.findings[0];
  if (!top) return [para({ strong: "To fill in:" }, " what caused it; no triage named a cause.")];
  return [
    para(
      "Most likely cause, from the ranked findings: ",
      { strong: top.title },
      " (",
      { code: top.id },
      ").",
      ...(top.wouldConfirm ? [" To confirm it: ", ...mrkdwnInlines(sentence(top.wouldConfirm))] : []),
      ...(top.wouldRuleOut ? [" What would rule it out: ", ...mrkdwnInlines(sentence(top.wouldRuleOut))] : []),
    ),
    para({ strong: "To fill in:" }, " confirmed, or the cause it turned out to be, and why it happened then."),
  ];
}

function actions(story: IncidentStory): Block[] {
  const done = story.timeline.filter((e) => ACTION_KINDS.has(e.kind));
  if (done.length === 0) return [para("Nobody acted on the incident through clawops.")];
  const approvals = done.filter((e) => e.kind === "approval" && /^approved/.test(e.text));
  return [
    list(done.map((e) => [`${when(e.at)} ${fromMrkdwn(e.actor)} (${e.kind}): `, ...mrkdwnInlines(e.text)])),
    approvals.length
      ? para(
          "Approved mutating steps: ",
          ...approvals.flatMap((a, n) => [
            ...(n ? ["; "] : []),
            ...mrkdwnInlines(a.text.replace(/^approved /, "")),
            ` by ${fromMrkdwn(a.actor)}`,
          ]),
          ".",
        )
      : para("No mutating step (restart, doctor --repair) was approved."),
  ];
}

/** Who held which role at the end (issue 41, item 1); the timeline has each handover. */
function roles(story: IncidentStory): Block[] {
  const i = story.incident;
  if (!i.comms && !i.scribe) return [];
  const held = (u: string | null) => (u ? fromMrkdwn(u) : "nobody");
  const handovers = story.timeline.filter((e) => e.kind === "role").length;
  return [
    para(
      `Roles: commander ${held(i.owner)}, communications ${held(i.comms)}, scribe ${held(i.scribe)}`,
      handovers > 1 ? ` (${handovers} role changes, each in the timeline).` : ".",
    ),
  ];
}

/** The follow-up actions recorded on the incident (issue 41, item 5), or the part to fill in. */
function followUps(story: IncidentStory): Block[] {
  const recorded = story.actions;
  if (recorded.length === 0) {
    return [
      para(
        { strong: "To fill in:" },
        " what would have caught it sooner, what to change so it does not happen again; an owner and a date for each.",
      ),
    ];
  }
  const open = recorded.filter((a) => a.state === "open").length;
  return [
    para(
      `Recorded on the incident (${open} of ${recorded.length} still open; `,
      { code: `/openclaw incident ${story.incident.id} action <n> done` },
      " closes one):",
    ),
    list(
      recorded.map((a) => [
        `#${a.n} (${a.state}) `,
        ...mrkdwnInlines(a.text),
        ` — owner ${a.owner ? fromMrkdwn(a.owner) : "not named"}, added by ${fromMrkdwn(a.createdBy)} at ${when(a.createdAt)}`,
        a.state === "done" && a.doneAt !== null ? `; done by ${fromMrkdwn(a.doneBy ?? "?")} at ${when(a.doneAt)}` : "",
      ]),
    ),
  ];
}

function whatChanged(story: IncidentStory, changes: HostChanges): Block[] {
  const blocks: Block[] = [heading(3, "On the host, before and during the incident")];
  if (changes.kind === "none") blocks.push(para(...mrkdwnInlines(changes.why)));
  else {
    if (changes.versions) blocks.push(para(`Versions (bundle ${changes.bundleId}): ${changes.versions}.`));
    blocks.push(
      changes.events.length
        ? list(
            changes.events.map((e) => [
              `${e.at.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC ${e.kind}: ${e.detail}`,
            ]),
          )
        : para(
            `Bundle ${changes.bundleId}'s timeline shows no upgrade, config edit, reload, token rotation, start or stop from 24 h before the incident to its end.`,
          ),
    );
  }
  // A restart that ran, and a doctor --repair that ran (step 4 says so only then).
  const made = story.timeline.filter(
    (e) =>
      e.kind === "recover" &&
      (/^step 5 .*: (ok|warn)/.test(e.text) || /^step 4 .*: (ok|warn) — doctor --repair: /.test(e.text)),
  );
  blocks.push(heading(3, "Changed by the response"));
  blocks.push(
    made.length
      ? list(made.map((e) => [`${when(e.at)}: `, ...mrkdwnInlines(e.text), ` (run started by ${fromMrkdwn(e.actor)})`]))
      : para("clawops changed nothing on the host (no doctor --repair, no restart ran)."),
  );
  return blocks;
}

export function postmortemDoc(story: IncidentStory, changes: HostChanges): Doc {
  const i = story.incident;
  const ended = story.latest && story.latest !== story.failure ? story.latest : null;
  return [
    heading(1, `Postmortem draft: ${i.title} (${i.id})`),
    {
      kind: "quote",
      inlines: [
        `Drafted by clawops from incident ${i.id}'s record; every fact below is in its timeline. Edit the words, check the facts, and fill in the parts marked `,
        { strong: "To fill in" },
        ".",
      ],
    },
    heading(2, "Summary"),
    para(
      // The catalog writes chat mrkdwn (`code` spans): inlines, not escaped text (issue 41).
      ...mrkdwnInlines(summaryText(story)),
      ` Raised by ${i.source} (${i.openedBy}) at ${when(i.openedAt)}`,
      i.owner ? `, owned by ${i.owner}` : "",
      i.resolvedAt !== null ? `, resolved by ${i.resolvedBy ?? "?"} at ${when(i.resolvedAt)}.` : "; not resolved yet.",
    ),
    ...roles(story),
    heading(2, "Impact window"),
    ...impactWindow(story),
    heading(2, "Key moments and decisions"),
    ...teamBlocks(story),
    heading(2, "What the false green was"),
    ...falseGreen(story),
    heading(2, "Root cause"),
    ...rootCause(story),
    heading(2, "Findings"),
    ...findingsBlocks(story.failure),
    ...(ended ? [heading(3, "Where it ended"), ...findingsBlocks(ended, 3)] : []),
    heading(2, "Timeline"),
    ...timelineTable(story.timeline, i.id),
    heading(2, "Actions and who approved them"),
    ...actions(story),
    heading(2, "What changed"),
    ...whatChanged(story, changes),
    heading(2, "Follow-ups"),
    ...followUps(story),
    ...(story.tickets.length
      ? [para(`Tickets: ${story.tickets.map((t) => `${t.key}${t.url ? ` (${t.url})` : ""}`).join(", ")}.`)]
      : []),
  ];
}

export function postmortemMarkdown(story: IncidentStory, changes: HostChanges): string {
  return toMarkdown(postmortemDoc(story, changes));
}

export const postmortemFilename = (id: string) => `postmortem-${id}.md`;
