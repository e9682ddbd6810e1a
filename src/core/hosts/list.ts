import type { HostRecord } from "../ports/store.ts";
import type { HostState, HostsFilter } from "../requests/command.ts";
import { globMatches } from "../vocabulary/hosts.ts";

/**
 * Hosts per page. Slack caps a section at 3,000 characters and a message at 50 blocks; one
 * line of the list is at most ~170 characters (a 63-character name), so 25 lines fit in two
 * sections, and the list is cut between hosts, never inside one's markup.
 */
export const HOSTS_PAGE_SIZE = 25;

/** The filter as typed, to repeat in the page footer's next-page command. */
export function describeHostsFilter(filter: HostsFilter | undefined): string {
  if (!filter) return "";
  if (filter.kind === "pattern") return filter.glob;
  if (filter.kind === "tag") return `tag:${filter.tag}`;
  return `state:${filter.state}`;
}

export function hostState(h: HostRecord, online: ReadonlySet<string>): HostState {
  return h.revokedAt ? "revoked" : online.has(h.name) ? "online" : "offline";
}

export function filterHosts(
  hosts: readonly HostRecord[],
  online: ReadonlySet<string>,
  filter: HostsFilter | undefined,
): HostRecord[] {
  if (!filter) return [...hosts];
  return hosts.filter((h) => {
    if (filter.kind === "pattern") return globMatches(filter.glob, h.name);
    if (filter.kind === "tag") return (h.tags ?? []).includes(filter.tag);
    return hostState(h, online) === filter.state;
  });
}

/** One page of the host list and where it sits: what the renderer and `--json` show. */
export interface HostsPage {
  hosts: HostRecord[];
  /** 1-based; clamped to the last page. */
  page: number;
  pages: number;
  /** Hosts the filter matched, over all pages. */
  matched: number;
  /** Every enrolled host, and how many of them are online. */
  enrolled: number;
  online: number;
  filter?: HostsFilter;
}

export function pageHosts(
  hosts: readonly HostRecord[],
  online: ReadonlySet<string>,
  opts: { filter?: HostsFilter; page?: number },
): HostsPage {
  const matched = filterHosts(hosts, online, opts.filter);
  const pages = Math.max(1, Math.ceil(matched.length / HOSTS_PAGE_SIZE));
  const page = Math.min(Math.max(1, opts.page ?? 1), pages);
  return {
    hosts: matched.slice((page - 1) * HOSTS_PAGE_SIZE, page * HOSTS_PAGE_SIZE),
    page,
    pages,
    matched: matched.length,
    enrolled: hosts.length,
    online: hosts.filter((h) => online.has(h.name)).length,
    ...(opts.filter ? { filter: opts.filter } : {}),
  };
}
