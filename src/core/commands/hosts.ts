import { authorize } from "../authz/authz.ts";
import { ClawopsError } from "../errors.ts";
import { pageHosts } from "../hosts/list.ts";
import { requireHost } from "../hosts/lookup.ts";
import { renderHosts } from "../hosts/render.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command, HostsFilter } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { HOST_GLOB, normalizeHostName, normalizeTag, TAG } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";

/** `/openclaw hosts …`: the enrolled hosts, a page at a time. */
export const hosts = defineCommand({
  words: ["hosts"],
  parse: (rest) => ({ kind: "hosts", ...parseHostsArgs(rest) }),
  help: [
    {
      usage: "/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]",
      summary: "List enrolled hosts: online/offline, agent and gateway versions, last seen; 25 a page.",
    },
  ],
  authorize: "open",
  handle: (deps, _req, command) => listHostsCommand(deps, command),
});

/** `/openclaw tag <host> <tag>…`: a host's tags, which choose who a fleet command reaches. */
export const tag = defineCommand({
  words: ["tag"],
  parse: (rest) => {
    const [host, ...tags] = rest;
    if (host === undefined || tags.length === 0) {
      throw new ClawopsError(
        "bad_request",
        "Usage: `/openclaw tag <host> <tag>…`, e.g. `/openclaw tag node-3 eu prod` (`-` clears).",
      );
    }
    return {
      kind: "tag",
      host: normalizeHostName(host),
      tags: tags.length === 1 && tags[0] === "-" ? [] : [...new Set(tags.map(normalizeTag))],
    };
  },
  help: [
    {
      usage: "/openclaw tag <host> <tag>…",
      summary: "Set a host's tags (replaces them; `-` clears) for `status tag:<tag>`.",
    },
  ],
  authorize: { inHandler: ["tag"], why: "after the store is known to keep tags (501 otherwise)" },
  handle: tagCommand,
});

const HOSTS_USAGE =
  "Usage: `/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]`, e.g. `/openclaw hosts node-* page 2`.";

/** The words after `hosts`: an optional filter, then an optional `page <n>`. */
export function parseHostsArgs(words: readonly string[]): { filter?: HostsFilter; page?: number } {
  const rest = words.map((w) => w.toLowerCase());
  let page: number | undefined;
  const at = rest.indexOf("page");
  if (at >= 0) {
    const n = Number(rest[at + 1]);
    if (at !== rest.length - 2 || !Number.isInteger(n) || n < 1 || n > 10_000)
      throw new ClawopsError("bad_request", HOSTS_USAGE);
    page = n;
    rest.splice(at, 2);
  }
  if (rest.length > 1) throw new ClawopsError("bad_request", HOSTS_USAGE);
  const arg = rest[0];
  const out: { filter?: HostsFilter; page?: number } = page === undefined ? {} : { page };
  if (arg === undefined || arg === "all" || arg === "*") return out;
  if (arg.startsWith("tag:")) {
    if (!TAG.test(arg.slice(4))) throw new ClawopsError("bad_request", HOSTS_USAGE);
    return { ...out, filter: { kind: "tag", tag: arg.slice(4) } };
  }
  if (arg.startsWith("state:")) {
    const state = arg.slice(6);
    if (state !== "online" && state !== "offline" && state !== "revoked")
      throw new ClawopsError("bad_request", HOSTS_USAGE);
    return { ...out, filter: { kind: "state", state } };
  }
  if (!HOST_GLOB.test(arg)) throw new ClawopsError("bad_request", HOSTS_USAGE);
  return { ...out, filter: { kind: "pattern", glob: arg } };
}

/** `hosts`: the enrolled hosts, a page at a time, with who is online. */
async function listHostsCommand(deps: CoreDeps, command: Extract<Command, { kind: "hosts" }>): Promise<CommandReply> {
  const hosts = await deps.store.listHosts();
  const online = new Set<string>();
  await Promise.all(hosts.map(async (h) => (await deps.transport.isOnline(h.name)) && online.add(h.name)));
  const { hosts: shown, ...paging } = pageHosts(hosts, online, command);
  return { ack: renderHosts(shown, online, deps.clock.now(), paging) };
}

/** `tag <host> …`: replaces a host's tags (needs the tag permission). */
async function tagCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "tag" }>,
): Promise<CommandReply> {
  if (!deps.store.setHostTags) {
    throw new ClawopsError("bad_request", "This control plane's store does not keep host tags yet.", {
      status: 501,
    });
  }
  await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "tag");
  const host = await requireHost(deps, command.host);
  await deps.store.setHostTags(host.name, command.tags);
  const list = command.tags.length ? command.tags.map((t) => `\`${t}\``).join(", ") : "none";
  return { ack: renderNotice(`Tags of *${host.name}*: ${list}.`) };
}
