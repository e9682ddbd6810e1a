import type { KnownIssue, KnownIssueCatalog } from "./schema.ts";
import { parseCalVer, satisfies, versionIn } from "./versions.ts";

/**
 * Which known upstream issues a finding matches. Deliberately free of rule ids: an entry may name
 * finding ids, evidence patterns or both, and a pattern alone matches whatever finding quotes the
 * line, so an entry keeps working when the rule that quotes it is renamed or not written yet.
 */

/** What the matcher reads of a finding (classify/finding.ts has more). */
export interface FindingFacts {
  id: string;
  evidence: readonly string[];
}

/** The entries a finding matches on a gateway of `gatewayVersion` (a version string as reported, or null). */
export function knownIssuesFor(
  catalog: KnownIssueCatalog,
  finding: FindingFacts,
  gatewayVersion: string | null | undefined,
): KnownIssue[] {
  return catalog.entries.filter(
    (entry) => fingerprintMatches(entry, finding) && versionMayBeAffected(entry, gatewayVersion),
  );
}

export function fingerprintMatches(entry: KnownIssue, finding: FindingFacts): boolean {
  return entry.patterns.some(
    (p) =>
      (p.findings === null || p.findings.has(finding.id)) &&
      (p.evidence === null || p.evidence.some((re) => finding.evidence.some((line) => re.test(line)))),
  );
}

/**
 * A version outside the entry's range is not affected; an unknown version (an agent that could not
 * read it) may be: the evidence matched, which says more than a missing version.
 */
export function versionMayBeAffected(entry: KnownIssue, gatewayVersion: string | null | undefined): boolean {
  const v = versionIn(gatewayVersion);
  const parsed = v ? parseCalVer(v) : null;
  return parsed === null || satisfies(parsed, entry.range);
}

/** Whether a gateway of this version is inside the entry's range (unknown: false). */
export function versionAffected(entry: KnownIssue, gatewayVersion: string | null | undefined): boolean {
  const v = versionIn(gatewayVersion);
  const parsed = v ? parseCalVer(v) : null;
  return parsed !== null && satisfies(parsed, entry.range);
}

/** "fixed in 2026.9.6", "fixed upstream by PR #94915 (release not recorded)", or "no fix released yet". */
export function fixStatus(entry: KnownIssue): string {
  if (entry.fixedIn) return `fixed in ${entry.fixedIn}`;
  if (entry.fixedBy) return `fixed upstream by ${entry.fixedBy} (the release that carries it is not recorded here)`;
  return "no fix released yet";
}

/**
 * Entries that say the same thing (one symptom reported in several upstream issues, with one
 * workaround) as one note: `Known issues openclaw/openclaw#138232, #135776, #94641 — …`.
 */
export function knownIssueNotes(
  entries: readonly KnownIssue[],
): { headline: string; links: string[]; workaround: string }[] {
  const groups = new Map<string, KnownIssue[]>();
  for (const e of entries) {
    const key = JSON.stringify([e.issue.title, e.workaround, fixStatus(e)]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((group) => {
    const [first] = group as [KnownIssue, ...KnownIssue[]];
    if (group.length === 1)
      return { headline: knownIssueHeadline(first), links: [first.issue.url], workaround: first.workaround };
    const refs = [first.issue.ref, ...group.slice(1).map((e) => e.issue.ref.replace(/^openclaw\/openclaw/, ""))].join(
      ", ",
    );
    return {
      headline: `Known issues ${refs} — ${fixStatus(first)}: ${titleOf(first)}`,
      links: group.map((e) => e.issue.url),
      workaround: first.workaround,
    };
  });
}

const titleOf = (entry: KnownIssue) =>
  entry.issue.titleParaphrased ? `${entry.issue.title} (title paraphrased)` : `“${entry.issue.title}”`;

/** One line a person reads under a finding: `Known issue openclaw/openclaw#151671 — no fix released yet: <title>`. */
export function knownIssueHeadline(entry: KnownIssue): string {
  return `Known issue ${entry.issue.ref} — ${fixStatus(entry)}: ${titleOf(entry)}`;
}
