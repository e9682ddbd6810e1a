import type { GroupingPolicy, Incident } from "../ports/incident-book.ts";
import type { HostRecord } from "../ports/store.ts";

/**
 * Fleet grouping (docs/incidents.md): when several hosts fail within a short window sharing one
 * cause (the same top finding, the same alert, agents gone silent together, or something that
 * explains it, such as the OpenClaw version), they are one fleet incident with a host table,
 * not one page per host. Pure: the pipeline gives it the open incidents and the fleet.
 */

export const DEFAULT_GROUPING: GroupingPolicy = { minHosts: 3, minPercentOfTag: 20, windowMs: 2 * 60_000 };

/**
 * Parses CLAWOPS_FLEET_GROUPING: `off`, or any of `hosts=3`, `tag=20%`, `window=2m` (seconds
 * `s` or minutes `m`), comma-separated; what is left out keeps its default. Throws naming the
 * variable and the part that is wrong, so a typo stops the start.
 */
export function parseGroupingPolicy(raw: string | undefined): GroupingPolicy | false {
  const v = raw?.trim();
  if (!v) return DEFAULT_GROUPING;
  if (v.toLowerCase() === "off") return false;
  const policy = { ...DEFAULT_GROUPING };
  for (const part of v.split(",").map((p) => p.trim())) {
    const m = /^(hosts|tag|window)=(\d{1,5})(%|s|m)?$/.exec(part);
    const n = Number(m?.[2]);
    const unit = m?.[3];
    if (m?.[1] === "hosts" && !unit && n >= 2) policy.minHosts = n;
    else if (m?.[1] === "tag" && (unit === "%" || !unit) && n >= 1 && n <= 100) policy.minPercentOfTag = n;
    else if (m?.[1] === "window" && (unit === "s" || unit === "m") && n >= 1) {
      policy.windowMs = n * (unit === "m" ? 60_000 : 1_000);
    } else {
      throw new Error(
        `CLAWOPS_FLEET_GROUPING: "${part.slice(0, 40)}" is not hosts=<2 or more>, tag=<1-100>%, window=<n>s|m, or off (e.g. hosts=3,tag=20%,window=2m).`,
      );
    }
  }
  return policy;
}

/** A cause key names what hosts share: `finding:<rule id>`, `alert:<name>`, `silence`, `openclaw:<version>`. */
export type CauseKey = string;

/** Keys that say what failed, in the order they are preferred as a fleet incident's cause. */
const PRIMARY = /^(finding|alert|silence)(:|$)/;

/**
 * The cause keys of a host's signal: what failed (its own keys) and what could explain it (the
 * host's OpenClaw version). An attribute every enrolled host shares explains nothing and is left out.
 */
export function causeKeys(own: readonly CauseKey[], host: HostRecord | null, fleet: readonly HostRecord[]): CauseKey[] {
  const keys = [...own];
  const version = host?.gatewayVersion;
  if (version && fleet.some((h) => h.revokedAt === null && h.gatewayVersion !== version)) {
    keys.push(`openclaw:${version}`);
  }
  return keys;
}

export interface GroupDecision {
  key: CauseKey;
  /** The host incidents (open, ungrouped, in the window) that share it, oldest first. */
  members: Incident[];
}

/**
 * Whether `host`, failing now with `keys`, makes a fleet incident with the open host incidents
 * of the window: the first key (what failed before what explains it) shared by enough hosts.
 */
export function groupFor(
  host: string,
  keys: readonly CauseKey[],
  open: readonly Incident[],
  fleet: readonly HostRecord[],
  now: number,
  policy: GroupingPolicy,
): GroupDecision | null {
  // `open` is newest first: oldest first here, so members and the host table keep their order.
  const recent = [...open]
    .reverse()
    .filter(
      (i) =>
        i.source !== "fleet" &&
        i.source !== "command" &&
        i.parentId === null &&
        i.state !== "resolved" &&
        now - i.openedAt <= policy.windowMs &&
        !i.hosts.includes(host),
    );
  const ordered = [...keys.filter((k) => PRIMARY.test(k)), ...keys.filter((k) => !PRIMARY.test(k))];
  for (const key of ordered) {
    const members = recent.filter((i) => i.causes.includes(key));
    const hosts = new Set([host, ...members.flatMap((m) => m.hosts)]);
    if (hosts.size >= policy.minHosts || tagShare(hosts, fleet) >= policy.minPercentOfTag) {
      return { key, members };
    }
  }
  return null;
}

/** The largest share (percent) of one tag's hosts among `hosts`, counting only when 2 or more fail. */
function tagShare(hosts: ReadonlySet<string>, fleet: readonly HostRecord[]): number {
  if (hosts.size < 2) return 0;
  const byTag = new Map<string, { all: number; failing: number }>();
  for (const h of fleet) {
    if (h.revokedAt !== null) continue;
    for (const tag of h.tags ?? []) {
      const t = byTag.get(tag) ?? { all: 0, failing: 0 };
      t.all += 1;
      if (hosts.has(h.name)) t.failing += 1;
      byTag.set(tag, t);
    }
  }
  let best = 0;
  for (const t of byTag.values()) if (t.failing >= 2) best = Math.max(best, (100 * t.failing) / t.all);
  return best;
}

/** What a cause key says, as a fleet incident's title names it. */
export function causeTitle(key: CauseKey): string {
  const [kind, ...rest] = key.split(":");
  const value = rest.join(":");
  switch (kind) {
    case "finding":
      return `same finding ${value}`;
    case "alert":
      return `same alert ${value}`;
    case "silence":
      return "agents gone silent together";
    case "openclaw":
      return `all on OpenClaw ${value}`;
    default:
      return `sharing ${key}`;
  }
}

/**
 * "Is it us or upstream?": what the failing hosts share beyond the cause, against the fleet, in
 * words that say what it makes likely, never more.
 */
export function sharedCause(key: CauseKey, failing: readonly string[], fleet: readonly HostRecord[]): string[] {
  const enrolled = fleet.filter((h) => h.revokedAt === null);
  const failingSet = new Set(failing);
  const lines: string[] = [];
  const share = enrolled.length > 0 ? Math.round((100 * failing.length) / enrolled.length) : 100;
  lines.push(`${failing.length} of ${enrolled.length} enrolled hosts (${share} %) within the grouping window.`);
  const versions = new Set(enrolled.filter((h) => failingSet.has(h.name)).map((h) => h.gatewayVersion ?? "unknown"));
  const healthyVersions = new Set(
    enrolled.filter((h) => !failingSet.has(h.name)).map((h) => h.gatewayVersion ?? "unknown"),
  );
  const [only] = versions;
  const release =
    versions.size === 1 && only && only !== "unknown" && healthyVersions.size > 0 && !healthyVersions.has(only);
  if (versions.size === 1 && only && only !== "unknown") {
    lines.push(
      release
        ? `Every failing host runs OpenClaw ${only}; no healthy host does: the release is a likely suspect.`
        : `Every failing host runs OpenClaw ${only}${healthyVersions.has(only) ? ", as healthy hosts do too: the version alone does not explain it" : ""}.`,
    );
  }
  if (key === "silence") {
    lines.push(
      "Many agents went silent at once: the network between them and the control plane, or the control plane itself, is more likely than each host.",
    );
  } else if (!release && share >= 50 && enrolled.length >= 4) {
    lines.push(
      "Half the fleet or more at once: something they all depend on (a model provider, the network, a shared configuration) is more likely than each host on its own.",
    );
  }
  return lines;
}
