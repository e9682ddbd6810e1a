import type { Finding } from "../classify/finding.ts";
import type { IncidentEvent } from "../ports/incident-book.ts";
import { type Block, code, type Doc, fromMrkdwn, heading, type Inline, list, mrkdwnInlines, para } from "./doc.ts";
import { failingLayers, type IncidentStory, type TriageReading } from "./story.ts";

/**
 * What a ticket says (issue 29, item 6): a title, then the summary, the findings, the timeline
 * and the bundle, read from the incident's record. The same blocks serve Jira (ADF) and GitHub
 * (Markdown); the postmortem (postmortem.ts) reuses the findings and the timeline.
 */

/** "2026-11-25 09:00:07": UTC to the second, the timeline's time. */
export const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/** Jira caps a summary at 255 characters and takes no line break; GitHub's title is kept as short. */
export function ticketTitle(story: IncidentStory): string {
  const top = story.failure?.findings[0];
  const what = top ? top.title : "OpenClaw gateway incident";
  return `${story.incident.hosts.join(", ")}: ${what} (clawops ${story.incident.id})`
    .replace(/\s+/g, " ")
    .slice(0, 250);
}

/** The first lines: which incident, where it is told, its state. */
function factsBlock(story: IncidentStory): Block {
  const i = story.incident;
  return para(
    { strong: "clawops incident " },
    { code: i.id },
    ` on ${i.hosts.join(", ")}: opened ${utc(i.openedAt)} UTC by ${i.openedBy} (${i.source}); ${i.state}${i.owner ? `, owner ${i.owner}` : ", no owner yet"}${i.resolvedAt !== null ? `; resolved ${utc(i.resolvedAt)} UTC${i.resolvedBy ? ` by ${i.resolvedBy}` : ""}` : ""}.${i.channel ? ` Its thread is in Slack channel ${i.channel}.` : ""}`,
  );
}

/** One paragraph: what is wrong, in the catalog's words. */
export function summaryText(story: IncidentStory): string {
  const top = story.failure?.findings[0];
  const hosts = story.incident.hosts.join(", ");
  if (!story.failure)
    return `No triage of ${hosts} has finished for this incident yet; the timeline below is what is known.`;
  if (!top) return `The triage of ${hosts} found no failing layer and no finding.`;
  const layers = failingLayers(story.failure);
  return `${top.title}, on the OpenClaw gateway of ${hosts}. ${top.explanation}${layers.length ? ` Failing layers: ${layers.join("; ")}.` : ""}`;
}

/** A finding as a list item: title, id, layer, severity, confidence, then what to read. */
function findingItem(f: Finding): Inline[] {
  return [
    { strong: f.title },
    " (",
    { code: f.id },
    `, ${f.layer.replace("_", " ")} layer, ${f.severity}, ${f.confidence} confidence${f.explainedBy ? `, likely a consequence of ${f.explainedBy}` : ""}). `,
    ...mrkdwnInlines(f.explanation),
    ...(f.falseGreen ? [" False green: ", ...mrkdwnInlines(sentence(f.falseGreen))] : []),
    ...(f.nextCommands.length ? [" Next: ", ...joinCodes(f.nextCommands.slice(0, 3))] : []),
  ];
}

function joinCodes(commands: readonly string[]): Inline[] {
  return commands.flatMap((c, n) => (n === 0 ? [{ code: c }] : [", ", { code: c }]));
}

/** The findings of one triage, ranked, with the evidence of the first. */
export function findingsBlocks(t: TriageReading | null, max = 5): Block[] {
  if (!t) return [para("No triage has finished for this incident yet.")];
  const head = para(`From triage job `, { code: t.jobId }, ` (${t.status}, ${utc(t.at)} UTC, run by ${t.by}).`);
  if (t.findings.length === 0) return [head, para("No finding: every layer the triage read was healthy.")];
  const blocks: Block[] = [head, list(t.findings.slice(0, max).map(findingItem), true)];
  const evidence = t.findings[0]?.evidence ?? [];
  if (evidence.length) blocks.push(para("Evidence of the first finding:"), code(evidence.slice(0, 12).join("\n")));
  if (t.findings.length > max) blocks.push(para(`${t.findings.length - max} more findings in the thread.`));
  return blocks;
}

/** The most timeline rows a ticket or postmortem shows: the newest are what is cut, with a count. */
const MAX_ROWS = 80;

export function timelineTable(timeline: readonly IncidentEvent[], id: string): Block[] {
  if (timeline.length === 0) return [para("Nothing recorded yet.")];
  const shown = timeline.slice(0, MAX_ROWS);
  const blocks: Block[] = [
    {
      kind: "table",
      header: ["#", "Time (UTC)", "Who", "What"],
      rows: shown.map((e) => [
        [String(e.seq)],
        [utc(e.at)],
        [fromMrkdwn(e.actor)],
        [`${e.kind}: `, ...mrkdwnInlines(e.text.slice(0, 300))],
      ]),
    },
  ];
  if (timeline.length > shown.length) {
    blocks.push(
      para(
        `${timeline.length - shown.length} later entries are not shown; `,
        { code: `clawops incident ${id} --json` },
        " has them all.",
      ),
    );
  }
  return blocks;
}

/** Ends a sentence that does not end already. */
export const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** The bundle's line: attached (Jira), linked (GitHub), being collected, or none. */
export type BundleNote =
  | { kind: "attached"; id: string }
  | { kind: "linked"; id: string; link: string; until: number }
  | { kind: "collecting"; jobId: string | null }
  | { kind: "none"; why: string };

export function bundleBlock(note: BundleNote): Block {
  switch (note.kind) {
    case "attached":
      return para(
        "Repro bundle ",
        { code: note.id },
        " is attached (the zip; manifest.json inside lists each file's SHA-256).",
      );
    case "linked":
      return para(
        "Repro bundle ",
        { code: note.id },
        `: `,
        { link: "download", href: note.link },
        ` (kept until ${utc(note.until).slice(0, 10)}; renew it from the incident thread with `,
        { code: "/openclaw ticket <incident> renew" },
        ").",
      );
    case "collecting":
      return note.jobId
        ? para("A repro bundle is being collected (job ", { code: note.jobId }, "); it follows in a comment.")
        : para("A repro bundle is being collected; it follows in a comment.");
    case "none":
      return para(`No repro bundle: ${note.why}.`);
  }
}

/** The new ticket's body. */
export function ticketDoc(story: IncidentStory, bundle: BundleNote): Doc {
  return [
    factsBlock(story),
    heading(2, "Summary"),
    para(...mrkdwnInlines(summaryText(story))),
    heading(2, "Findings"),
    ...findingsBlocks(story.failure),
    heading(2, "Timeline"),
    ...timelineTable(story.timeline, story.incident.id),
    heading(2, "Repro bundle"),
    bundleBlock(bundle),
  ];
}

/** The comment an open ticket of the same host and top finding gets instead of a second ticket. */
export function seenAgainDoc(story: IncidentStory, bundle: BundleNote): Doc {
  return [
    para(
      { strong: "Seen again" },
      `: clawops incident `,
      { code: story.incident.id },
      ` on ${story.incident.hosts.join(", ")} has the same top finding (`,
      { code: story.topFinding },
      `), opened ${utc(story.incident.openedAt)} UTC by ${story.incident.openedBy}.`,
    ),
    para(...mrkdwnInlines(summaryText(story))),
    ...findingsBlocks(story.failure, 3),
    heading(3, "Timeline of this incident"),
    ...timelineTable(story.timeline, story.incident.id),
    bundleBlock(bundle),
  ];
}
