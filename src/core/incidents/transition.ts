/**
 * A host's watched state changed and held (two probes in a row): what the watch hands to
 * whatever acts on it (the incident thread, the automatic freeze policy).
 */
export interface HostTransition {
  host: string;
  /** When the new state was confirmed (ms since the epoch). */
  at: number;
  /** When the new state began: the first probe that saw it. */
  since: number;
  /** The new state: healthy, or failing (a layer fails, or a trusted check is a false green). */
  healthy: boolean;
  /** Rule ids of the findings that make the new state failing (empty when healthy). */
  findingIds: string[];
  /** The host's incident thread, when one is open. */
  thread?: { channel: string; threadTs: string };
}
