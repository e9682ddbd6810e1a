import type { Layer, LayerStatus } from "../vocabulary/layers.ts";

/** The watch's stored state of one host (docs/watch.md): what the Store keeps per host. */

/** What one probe showed, classified. */
export interface WatchObservation {
  at: number;
  seq: number;
  hash: string;
  healthy: boolean;
  layers: Partial<Record<Layer, LayerStatus>>;
  /** Rule ids of the findings that make it failing (fail severity, or naming a false green). */
  findingIds: string[];
  /** One line: the top finding's title, or "every probed layer ok". */
  reason: string;
  /** A trusted check that was green while the host failed, if any. */
  falseGreen: string | null;
  /** What hosts failing for one shared cause would have in common (absent from states before issue 30). */
  attributes?: WatchAttributes;
}

/**
 * Attributes of a host's state the fleet can group by (issue 30): never a secret, only
 * fingerprints and names. Each entry is one string, so two hosts compare by equality.
 */
export interface WatchAttributes {
  /** Chat credentials the host's config names, `<channel>/<account> sha256:<12 hex>`: one bot on two hosts. */
  channelCredentials?: string[];
  /** Chat accounts down or silent, `<channel>/<account> <state>`: the platform, a proxy, a shared token. */
  channelsDown?: string[];
  /** Model providers whose credentials are not usable or expiring, `<provider> <status>`: a shared sign-in. */
  modelAuth?: string[];
  /** Model providers in cooldown in the last 30 min of the gateway's log: a provider's rate limit or outage. */
  modelCooldown?: string[];
  /**
   * Plugins installed from npm into the gateway's state folder, `<package> <version>` (`?` when
   * its manifest has none): core and official plugins out of lockstep (issue 42, version drift).
   */
  plugins?: string[];
}

/** A held health, and since when (the first probe that showed it). */
export interface HeldHealth {
  healthy: boolean;
  since: number;
  /** When it was confirmed (the probe that made it held). */
  at: number;
  findingIds: string[];
  reason: string;
}

export interface FlapWindow {
  start: number;
  /** The window's one posted recovery happened (later transitions in it are counted). */
  recovered: boolean;
  /** Transitions counted, not posted, in this window. */
  suppressed: number;
  /** The suppressed transitions, oldest first (at most 20 kept): "down 14:02:10", "up 14:03:40". */
  moments: { healthy: boolean; at: number }[];
}

/** The stored watch state of one host. */
export interface WatchRecord {
  host: string;
  /** The last probe reported. */
  last: WatchObservation;
  /** The last probe's health, since when, and how many probes in a row showed it. */
  run: { healthy: boolean; since: number; count: number };
  /** The held health; null until one held. */
  held: HeldHealth | null;
  /** When the failing state now held began (for "recovered after N min"); null while healthy. */
  failingSince: number | null;
  /** When the agent last reported (a state or a digest), on the control plane's clock. */
  reportedAt: number;
  /** Why this state may no longer hold (agent disconnected, no digest); null while fresh. */
  stale: { reason: string; at: number } | null;
  /**
   * When its silence was told as "agent lost" (an incident); cleared when the agent reports
   * again. Absent on records written before there was such a thing.
   */
  lost?: { at: number } | null;
  flap: FlapWindow | null;
}
