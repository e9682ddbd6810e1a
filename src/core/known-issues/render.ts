import { context, escapeMrkdwn, header, section, wholeLineSections } from "../messages/build.ts";
import { formatAge } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import { type EntryTally, type HostFacts, matchingFindings, upgradeGains } from "./fleet.ts";
import { fixStatus, knownIssueNotes, versionAffected } from "./match.ts";
import type { KnownIssue, KnownIssueCatalog } from "./schema.ts";

/** `/openclaw known-issues [host|all]`'s answers. */

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const names = (hosts: readonly string[], max = 8) =>
  hosts.length <= max ? hosts.join(", ") : `${hosts.slice(0, max).join(", ")} and ${hosts.length - max} more`;

function catalogLine(catalog: KnownIssueCatalog): string {
  const parts = catalog.versions.map(
    (v) => `${escapeMrkdwn(v.origin)}: ${plural(v.entries, "entry", "entries")}, of ${v.updated}`,
  );
  return `Catalog: ${parts.join("; ")}. Findings come from each host's last triage and its watch; versions from its gateway.`;
}

export function renderFleetKnownIssues(
  catalog: KnownIssueCatalog,
  tallies: readonly EntryTally[],
  hostCount: number,
): Message {
  const seen = tallies.filter((t) => t.seen.length > 0).sort((a, b) => b.seen.length - a.seen.length);
  const exposedOnly = tallies.filter((t) => t.seen.length === 0 && t.exposed.length > 0);
  const text = `Known issues: ${plural(seen.length, "entry", "entries")} seen on the fleet (${plural(hostCount, "host")})`;
  const lines = seen.map(
    (t) =>
      `🐞 *${escapeMrkdwn(t.entry.issue.ref)}* — ${escapeMrkdwn(fixStatus(t.entry))}: ${plural(t.seen.length, "host")} (${escapeMrkdwn(names(t.seen.map((s) => s.host)))})${
        t.exposed.length > 0 ? `; ${plural(t.exposed.length, "more host")} on an affected version` : ""
      }\n      ${escapeMrkdwn(t.entry.issue.title)}${t.entry.issue.titleParaphrased ? " (title paraphrased)" : ""} ${t.entry.issue.url}`,
  );
  const exposedLines = exposedOnly.map(
    (t) =>
      `▫️ ${escapeMrkdwn(t.entry.issue.ref)} — ${escapeMrkdwn(fixStatus(t.entry))}: not seen; ${plural(t.exposed.length, "host")} on an affected version (${escapeMrkdwn(t.entry.versions)}): ${escapeMrkdwn(names(t.exposed))}`,
  );
  const gains = upgradeGains(tallies).map(
    (g) =>
      `⬆️ Upgrading to ${g.version} fixes ${plural(g.findings, "finding")} on ${plural(g.hosts.length, "host")} (${escapeMrkdwn(names(g.hosts))}).`,
  );
  const quiet = tallies.length - seen.length - exposedOnly.length;
  return {
    text,
    parts: [
      header(`🐞 Known issues across ${plural(hostCount, "host")}`),
      ...(lines.length > 0
        ? wholeLineSections(lines, 3000).map((t) => section(t))
        : [section("No finding on any host matches a known upstream issue.")]),
      ...(exposedLines.length > 0 ? wholeLineSections(exposedLines, 3000).map((t) => section(t)) : []),
      ...(gains.length > 0 ? [section(gains.join("\n"))] : []),
      context(
        `${plural(quiet, "other entry", "other entries")} match${quiet === 1 ? "es" : ""} no host.`,
        catalogLine(catalog),
        "`/openclaw known-issues <host>` shows one host's with workarounds.",
      ),
    ],
  };
}

export function renderHostKnownIssues(catalog: KnownIssueCatalog, host: HostFacts, now: number): Message {
  const matched = catalog.entries
    .map((entry) => ({ entry, findings: matchingFindings(entry, host) }))
    .filter((m) => m.findings.length > 0);
  // Not seen, but a release fixes it and this host's version is inside its range.
  const exposed = catalog.entries.filter(
    (e) => !matched.some((m) => m.entry.id === e.id) && e.fixedIn !== null && versionAffected(e, host.gatewayVersion),
  );
  const basis = [
    host.triage ? `last triage ${formatAge(now - host.triage.at)} ago` : "no triage yet",
    host.watch ? `watch ${formatAge(now - host.watch.at)} ago` : "no watch state",
    `gateway ${host.gatewayVersion ?? "?"}`,
  ].join(" · ");
  const text = `Known issues on ${host.name}: ${matched.length > 0 ? plural(matched.length, "match", "matches") : "none seen"}`;
  // Entries that share a symptom and a workaround read as one note (match.ts knownIssueNotes).
  const byFindings = new Map<string, KnownIssue[]>();
  for (const m of matched) {
    const key = m.findings.map((f) => `\`${escapeMrkdwn(f)}\``).join(", ");
    byFindings.set(key, [...(byFindings.get(key) ?? []), m.entry]);
  }
  const lines = [...byFindings.entries()].flatMap(([findings, entries]) =>
    knownIssueNotes(entries).map(
      (n) =>
        `🐞 *${escapeMrkdwn(n.headline)}* ${n.links.join(" ")}\n      on finding ${findings}\n      Workaround: ${escapeMrkdwn(n.workaround)}`,
    ),
  );
  const exposedLines = exposed.map(
    (e) =>
      `▫️ ${escapeMrkdwn(e.issue.ref)} — ${escapeMrkdwn(fixStatus(e))}: not seen on it, but its version is inside the affected ${escapeMrkdwn(e.versions)}`,
  );
  return {
    text,
    parts: [
      header(`🐞 Known issues on ${host.name}`),
      ...(lines.length > 0
        ? wholeLineSections(lines, 3000).map((t) => section(t))
        : [
            section(
              host.triage
                ? "No finding of its last triage matches a known upstream issue."
                : `*${escapeMrkdwn(host.name)}* has no triage yet: \`/openclaw triage ${host.name}\` reads it, then this lists what matches.`,
            ),
          ]),
      ...(exposedLines.length > 0 ? wholeLineSections(exposedLines, 3000).map((t) => section(t)) : []),
      context(escapeMrkdwn(basis), catalogLine(catalog)),
    ],
  };
}
