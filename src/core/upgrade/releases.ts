import { ClawopsError } from "../errors.ts";
import type { KnownIssueCatalog } from "../known-issues/schema.ts";
import { compareCalVer, parseCalVer } from "../known-issues/versions.ts";

/**
 * The OpenClaw releases clawops knows without asking a registry (it reads none): the ones this
 * table ships with their Node requirement (`engines.node` of the release's package.json), the
 * releases the known-issue catalog names as fixes, and the versions the fleet's gateways report.
 * A target outside them is refused rather than guessed at.
 */
export interface Release {
  version: string;
  /** `engines.node` as the release's package.json says it; null when clawops has not read it. */
  node: string | null;
}

const SHIPPED: readonly Release[] = [
  // openclaw@2026.9.5 package.json: the same "engines" (read from the release as installed).
  { version: "2026.9.5", node: ">=24.16.0 <25 || >=26.1.0" },
  // openclaw@2026.9.6 package.json: "engines": { "node": ">=24.16.0 <25 || >=26.1.0" } (GATEWAY-FACTS §1).
  { version: "2026.9.6", node: ">=24.16.0 <25 || >=26.1.0" },
];

/** Every release known here, oldest first; a shipped entry's Node requirement wins. */
export function knownReleases(catalog: KnownIssueCatalog, fleetVersions: readonly (string | null)[]): Release[] {
  const by = new Map<string, Release>();
  for (const v of [...catalog.entries.map((e) => e.fixedIn), ...fleetVersions])
    if (v && parseCalVer(v)) by.set(v, { version: v, node: null });
  for (const r of SHIPPED) by.set(r.version, r);
  const ordered = [...by.values()].flatMap((r) => {
    const v = parseCalVer(r.version);
    return v ? [{ r, v }] : [];
  });
  return ordered.sort((a, b) => compareCalVer(a.v, b.v)).map((x) => x.r);
}

/** The target, checked: a calendar version (`2026.9.6`, `2026.9.6-1`, `2026.9.6-beta.1`) that clawops knows. */
export function resolveTarget(raw: string, releases: readonly Release[]): Release {
  const text = raw.trim().replace(/^v/, "");
  if (!parseCalVer(text))
    throw new ClawopsError(
      "bad_request",
      `\`${raw.slice(0, 40)}\` is not an OpenClaw version: releases are calendar versions such as \`2026.9.6\` (a correction \`2026.9.6-1\`, a beta \`2026.9.6-beta.1\`).`,
    );
  const found = releases.find((r) => r.version === text);
  if (!found)
    throw new ClawopsError(
      "unknown_release",
      `OpenClaw ${text} is not a release clawops knows (it knows ${releases.map((r) => r.version).join(", ") || "none"}: its release table, the known-issue catalog's fixes and the fleet's versions). clawops reads no registry; pick one of those.`,
      { status: 404 },
    );
  return found;
}
