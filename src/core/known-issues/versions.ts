/**
 * OpenClaw's calendar versions (`2026.9.5`, `2026.3.23-2`, `2026.9.6-beta.1`) and the ranges a
 * known issue's entry names over them: comparators joined by spaces (all must hold), alternatives
 * by `||`, `*` for every version. `2026.3.23-2` is a corrective release after `2026.3.23` (the
 * tracker's own reports name them so: "2026.3.23-2"), while `-beta.N` comes before its release.
 */

export type CalVer = { parts: [number, number, number]; correction: number; beta: number | null };

const VERSION = /^(\d{4})\.(\d{1,2})\.(\d{1,3})(?:-(\d{1,3})|-beta\.(\d{1,3}))?$/;
/** Where a version sits in a longer string: `OpenClaw 2026.9.6 (ec9c1a1)`, `v2026.9.5`. */
const VERSION_IN_TEXT = /\b(\d{4}\.\d{1,2}\.\d{1,3}(?:-\d{1,3}|-beta\.\d{1,3})?)\b/;

export function parseCalVer(text: string): CalVer | null {
  const m = VERSION.exec(text.trim());
  if (!m) return null;
  return {
    parts: [Number(m[1]), Number(m[2]), Number(m[3])],
    correction: m[4] === undefined ? 0 : Number(m[4]),
    beta: m[5] === undefined ? null : Number(m[5]),
  };
}

/** The calendar version a gateway's version string carries, or null (an agent that could not read it). */
export function versionIn(text: string | null | undefined): string | null {
  if (!text) return null;
  return VERSION_IN_TEXT.exec(text)?.[1] ?? null;
}

export function compareCalVer(a: CalVer, b: CalVer): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  // A beta comes before its release and its corrections.
  if (a.beta !== null || b.beta !== null) {
    if (a.beta === null) return 1;
    if (b.beta === null) return -1;
    return a.beta - b.beta;
  }
  return a.correction - b.correction;
}

type Comparator = { op: ">=" | ">" | "<=" | "<" | "="; version: CalVer };
export type VersionRange = { source: string; alternatives: Comparator[][] | "any" };

/** A range, or why it is not one (for the catalog's refusal). */
export function parseRange(text: string): VersionRange | { error: string } {
  const source = text.trim();
  if (source === "*") return { source, alternatives: "any" };
  if (source === "") return { error: "is empty (use * for every version)" };
  const alternatives: Comparator[][] = [];
  for (const alt of source.split("||")) {
    const comparators: Comparator[] = [];
    for (const word of alt.trim().split(/\s+/).filter(Boolean)) {
      const m = /^(>=|<=|>|<|=)?(.+)$/.exec(word);
      const version = m?.[2] ? parseCalVer(m[2]) : null;
      if (!m || !version)
        return { error: `'${word}' is not a comparator over a calendar version (e.g. >=2026.9.0, <2026.9.6)` };
      comparators.push({ op: (m[1] ?? "=") as Comparator["op"], version });
    }
    if (comparators.length === 0) return { error: "has an empty alternative around ||" };
    alternatives.push(comparators);
  }
  return { source, alternatives };
}

export function satisfies(version: CalVer, range: VersionRange): boolean {
  if (range.alternatives === "any") return true;
  return range.alternatives.some((alt) =>
    alt.every(({ op, version: v }) => {
      const d = compareCalVer(version, v);
      return op === ">=" ? d >= 0 : op === ">" ? d > 0 : op === "<=" ? d <= 0 : op === "<" ? d < 0 : d === 0;
    }),
  );
}
