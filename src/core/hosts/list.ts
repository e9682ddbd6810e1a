import { ClawopsError } from "../errors.ts";
import type { HostRecord } from "../ports.ts";

/** Which hosts `/openclaw hosts <filter>` lists: a glob over names, a tag, or a connection state. */
export type HostsFilter =
  | { kind: "pattern"; glob: string }
  | { kind: "tag"; tag: string }
  | { kind: "state"; state: HostState };

export type HostState = "online" | "offline" | "revoked";

/**
 * Hosts per page. Slack caps a section at 3,000 characters and a message at 50 blocks; one
 * line of the list is at most ~170 characters (a 63-character name), so 25 lines fit in two
 * sections, and the list is cut between hosts, never inside one's markup.
 */
export const HOSTS_PAGE_SIZE = 25;

const USAGE =
  "Usage: `/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]`, e.g. `/openclaw hosts node-* page 2`.";
const GLOB = /^[a-z0-9*?][a-z0-9*?-]{0,62}$/;
const TAG = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** The words after `hosts`: an optional filter, then an optional `page <n>`. */
export function parseHostsArgs(words: readonly string[]): { filter?: HostsFilter; page?: number } {
  const rest = words.map((w) => w.toLowerCase());
  let page: number | undefined;
  const at = rest.indexOf("page");
  if (at >= 0) {
    const n = Number(rest[at + 1]);
    if (at !== rest.length - 2 || !Number.isInteger(n) || n < 1 || n > 10_000)
      throw new ClawopsError("bad_request", USAGE);
    page = n;
    rest.splice(at, 2);
  }
  if (rest.length > 1) throw new ClawopsError("bad_request", USAGE);
  const arg = rest[0];
  const out: { filter?: HostsFilter; page?: number } = page === undefined ? {} : { page };
  if (arg === undefined || arg === "all" || arg === "*") return out;
  if (arg.startsWith("tag:")) {
    if (!TAG.test(arg.slice(4))) throw new ClawopsError("bad_request", USAGE);
    return { ...out, filter: { kind: "tag", tag: arg.slice(4) } };
  }
  if (arg.startsWith("state:")) {
    const state = arg.slice(6);
    if (state !== "online" && state !== "offline" && state !== "revoked") throw new ClawopsError("bad_request", USAGE);
    return { ...out, filter: { kind: "state", state } };
  }
  if (!GLOB.test(arg)) throw new ClawopsError("bad_request", USAGE);
  return { ...out, filter: { kind: "pattern", glob: arg } };
}

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

/** A host-name glob: `*` any run of characters, `?` one; everything else literal. */
export function globMatches(glob: string, name: string): boolean {
  const literal = (t: string) => t.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  const re = glob
    .split("*")
    .map((part) => part.split("?").map(literal).join("."))
    .join(".*");
  return new RegExp(`^${re}$`).test(name);
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
