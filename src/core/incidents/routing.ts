import type { IncidentRouting } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import { globMatches } from "../vocabulary/hosts.ts";

/** A channel id: Slack's (`C0123ABC`) or another chat's as it names it (`discord:…`, `mattermost:…`, `teams:19:…@thread.tacv2`). */
const RULE = /^(tag:[A-Za-z0-9._-]+|[A-Za-z0-9.*?_-]+)=([A-Za-z0-9_-]+|[a-z]+:[^\s,=]{1,200})$/;

/**
 * Parses `node-*=C0123,tag:edge=C0456` (CLAWOPS_HOST_CHANNELS). Throws with the entry that is
 * wrong, so a typo stops the start instead of sending incidents nowhere.
 */
export function parseIncidentRouting(
  defaultChannel: string | undefined,
  hostChannels: string | undefined,
): IncidentRouting {
  const rules: { match: string; channel: string }[] = [];
  for (const entry of (hostChannels ?? "").split(",").map((e) => e.trim())) {
    if (!entry) continue;
    const m = RULE.exec(entry);
    if (!m) {
      throw new Error(
        `CLAWOPS_HOST_CHANNELS: "${entry.slice(0, 80)}" is not <host glob>=<channel id> or tag:<tag>=<channel id> (e.g. node-*=C0123ABC, tag:edge=discord:1234567890123456789).`,
      );
    }
    rules.push({ match: m[1] as string, channel: m[2] as string });
  }
  const fallback = defaultChannel?.trim();
  return fallback ? { defaultChannel: fallback, rules } : { rules };
}

/** The channel for `host`'s automatic incident thread, or undefined when none is configured. */
export function incidentChannelFor(
  routing: IncidentRouting | undefined,
  host: Pick<HostRecord, "name" | "tags">,
): string | undefined {
  if (!routing) return undefined;
  for (const rule of routing.rules) {
    const hit = rule.match.startsWith("tag:")
      ? (host.tags ?? []).includes(rule.match.slice(4))
      : globMatches(rule.match, host.name);
    if (hit) return rule.channel;
  }
  return routing.defaultChannel;
}
