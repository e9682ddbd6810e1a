import { versionAffected } from "../known-issues/match.ts";
import type { KnownIssueCatalog } from "../known-issues/schema.ts";
import { compareCalVer, parseCalVer, versionIn } from "../known-issues/versions.ts";
import type { HostRecord } from "../ports/store.ts";
import type { WatchRecord } from "../ports/watch-record.ts";

/**
 * Version drift for the fleet matrix (issue 42, item 4): each host's OpenClaw core version (the
 * one its agent last reported, kept on the host record) and the plugins its watch last read from
 * the state folder. Three things are flagged:
 * - official plugins (`@openclaw/…`) on another release than their host's core: after an update
 *   that left them behind they fail to load (“does not provide an export named …”,
 *   openclaw/openclaw#138232);
 * - hosts on another core version than most of the fleet;
 * - core versions inside the range of a known issue that a later release fixes (an upgrade
 *   helps: the open-ended entries with no fix would name every host).
 */
export interface VersionDrift {
  /** Hosts whose core version is known, and the most common version among them (ties: the newest). */
  known: number;
  majority: { version: string; hosts: number } | null;
  /** Hosts on another core version than the majority. */
  offMajority: { host: string; version: string }[];
  /** Hosts whose core version no agent reported. */
  unknown: string[];
  /** Hosts whose official plugins are on another release than their core. */
  plugins: { host: string; core: string; behind: { name: string; version: string }[] }[];
  /** Hosts that reported plugins at all (to say "in lockstep" only about hosts that did). */
  withPlugins: number;
  /** Core versions with known issues a later release fixes, the hosts on each. */
  knownIssues: { version: string; hosts: string[]; issues: { ref: string; fixedIn: string }[] }[];
}

/** Official plugins are published under the project's npm scope (OpenClaw's official external catalog). */
const OFFICIAL_SCOPE = "@openclaw/";

export function versionDrift(
  hosts: readonly Pick<HostRecord, "name" | "gatewayVersion">[],
  watch: ReadonlyMap<string, Pick<WatchRecord, "last">>,
  catalog: KnownIssueCatalog | undefined,
): VersionDrift {
  const byVersion = new Map<string, string[]>();
  const unknown: string[] = [];
  const plugins: VersionDrift["plugins"] = [];
  let withPlugins = 0;
  for (const h of hosts) {
    const core = versionIn(h.gatewayVersion);
    if (!core) {
      unknown.push(h.name);
    } else {
      byVersion.set(core, [...(byVersion.get(core) ?? []), h.name]);
    }
    const installed = watch.get(h.name)?.last.attributes?.plugins;
    if (!installed) continue;
    withPlugins++;
    if (!core) continue;
    const behind = installed.flatMap((line) => {
      const [name = "", version = ""] = line.split(" ");
      return name.startsWith(OFFICIAL_SCOPE) && version !== "?" && cohort(version) !== cohort(core)
        ? [{ name, version }]
        : [];
    });
    if (behind.length > 0) plugins.push({ host: h.name, core, behind });
  }
  const ranked = [...byVersion].sort(([va, a], [vb, b]) => b.length - a.length || newestFirst(va, vb));
  const top = ranked[0];
  const majority = top ? { version: top[0], hosts: top[1].length } : null;
  const offMajority = ranked.slice(1).flatMap(([version, names]) => names.map((host) => ({ host, version })));
  const knownIssues: VersionDrift["knownIssues"] = [];
  for (const [version, names] of ranked) {
    const issues = (catalog?.entries ?? [])
      .filter((e) => e.fixedIn !== null && versionAffected(e, version))
      .map((e) => ({ ref: e.issue.ref, fixedIn: e.fixedIn as string }));
    if (issues.length > 0) knownIssues.push({ version, hosts: names, issues });
  }
  return {
    known: hosts.length - unknown.length,
    majority,
    offMajority,
    unknown,
    plugins,
    withPlugins,
    knownIssues,
  };
}

/**
 * A release's cohort: `2026.9.6-1` (a correction) is still 2026.9.6, as OpenClaw's own drift
 * check reads it (`resolveOpenClawReleaseCohortVersion`); a beta is its own.
 */
export function cohort(version: string): string {
  return version.replace(/^v/, "").replace(/-\d+$/, "");
}

function newestFirst(a: string, b: string): number {
  const pa = parseCalVer(a);
  const pb = parseCalVer(b);
  if (pa && pb) return compareCalVer(pb, pa);
  return a < b ? 1 : a > b ? -1 : 0;
}
