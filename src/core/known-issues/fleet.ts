import { type FindingFacts, fingerprintMatches, versionAffected, versionMayBeAffected } from "./match.ts";
import type { KnownIssue, KnownIssueCatalog } from "./schema.ts";

/**
 * How many hosts each known issue affects, from what the control plane knows of each host: the
 * findings of its last triage (with their evidence), the finding ids of its watch's last probe
 * (ids only: an entry that needs an evidence line cannot be told from them) and its gateway's
 * version. Nothing here probes: a host never triaged counts only by its version.
 */
export interface HostFacts {
  name: string;
  gatewayVersion: string | null;
  /** Its last finished triage's findings; null: never triaged (or none kept). */
  triage: { at: number; findings: FindingFacts[] } | null;
  /** The finding ids of its watch's last probe; null: no watch state. */
  watch: { at: number; findingIds: string[] } | null;
}

export interface EntryTally {
  entry: KnownIssue;
  /** Hosts where a finding matches it, with the finding ids. */
  seen: { host: string; findings: string[] }[];
  /** Hosts not seen with it whose gateway version is inside its range, for an entry a release fixes. */
  exposed: string[];
}

export function tallyKnownIssues(catalog: KnownIssueCatalog, hosts: readonly HostFacts[]): EntryTally[] {
  return catalog.entries.map((entry) => {
    const seen: EntryTally["seen"] = [];
    const exposed: string[] = [];
    for (const h of hosts) {
      const findings = matchingFindings(entry, h);
      if (findings.length > 0) seen.push({ host: h.name, findings });
      // Only where an upgrade helps: an open-ended range with no fix would list every host.
      else if (entry.fixedIn && versionAffected(entry, h.gatewayVersion)) exposed.push(h.name);
    }
    return { entry, seen, exposed };
  });
}

/** The ids of a host's findings that match the entry (its last triage's, else its watch's). */
export function matchingFindings(entry: KnownIssue, h: HostFacts): string[] {
  if (!versionMayBeAffected(entry, h.gatewayVersion)) return [];
  const ids = new Set<string>();
  for (const f of h.triage?.findings ?? []) if (fingerprintMatches(entry, f)) ids.add(f.id);
  // A watch probe keeps ids only: it matches a fingerprint that names the id and no evidence.
  for (const id of h.watch?.findingIds ?? [])
    if (entry.patterns.some((p) => p.evidence === null && p.findings?.has(id))) ids.add(id);
  return [...ids];
}

/** "upgrading to X fixes N findings on M hosts", per release that fixes something seen. */
export function upgradeGains(tallies: readonly EntryTally[]): { version: string; findings: number; hosts: string[] }[] {
  const by = new Map<string, { findings: number; hosts: Set<string> }>();
  for (const t of tallies) {
    if (!t.entry.fixedIn || t.seen.length === 0) continue;
    const g = by.get(t.entry.fixedIn) ?? { findings: 0, hosts: new Set<string>() };
    for (const s of t.seen) {
      g.findings += s.findings.length;
      g.hosts.add(s.host);
    }
    by.set(t.entry.fixedIn, g);
  }
  return [...by.entries()]
    .map(([version, g]) => ({ version, findings: g.findings, hosts: [...g.hosts].sort() }))
    .sort((a, b) => b.hosts.length - a.hosts.length || a.version.localeCompare(b.version));
}
