import { context, section, wholeLineSections } from "../messages/build.ts";
import { ago } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import type { HostRecord } from "../ports/store.ts";
import { describeHostsFilter, HOSTS_PAGE_SIZE, type HostsPage } from "./list.ts";

/**
 * The host list, one page of it. Lines are whole: sections are filled with complete host
 * lines up to Slack's 3,000-character section limit, so no line is cut inside its markup.
 * Without `paging` (or with one unfiltered page) the message is what it always was.
 */
export function renderHosts(
  hosts: readonly HostRecord[],
  online: ReadonlySet<string>,
  now: number,
  paging?: Omit<HostsPage, "hosts">,
): Message {
  if (hosts.length === 0 && (paging?.enrolled ?? 0) === 0) {
    return {
      text: "No hosts enrolled yet.",
      parts: [
        section(
          "*No hosts enrolled yet.*\nEnroll one with `/openclaw enroll <host>` (the console, `clawops enroll <host>`, or Slack for allowed users): it answers with the one command to run as root on the host, which installs, enrolls and starts the agent.",
        ),
      ],
    };
  }
  const filter = describeHostsFilter(paging?.filter);
  const enrolled = paging?.enrolled ?? hosts.length;
  const count = paging?.online ?? hosts.filter((h) => online.has(h.name)).length;
  if (hosts.length === 0) {
    const text = `No enrolled host matches ${filter}`;
    return {
      text,
      parts: [
        section(`*No enrolled host matches \`${filter}\`* (${count}/${enrolled} online). See \`/openclaw hosts\`.`),
      ],
    };
  }
  const lines = hosts.map((h) => {
    const state = h.revokedAt ? "⛔ revoked" : online.has(h.name) ? "🟢 online" : "⚫ offline";
    const seen = h.lastSeenAt ? `last seen ${ago(now - h.lastSeenAt)}` : "never connected";
    return `*${h.name}* — ${state} · agent ${escapeMrkdwn(h.agentVersion ?? "?")} · gateway ${escapeMrkdwn(h.gatewayVersion ?? "?")} · ${seen}`;
  });
  const title = filter
    ? `*Enrolled hosts matching \`${filter}\`* (${paging?.matched ?? hosts.length} of ${enrolled}; ${count}/${enrolled} online)`
    : `*Enrolled hosts* (${count}/${enrolled} online)`;
  const parts: Part[] = [section(title), ...wholeLineSections(lines, 3000).map((t) => section(t))];
  let text = `${enrolled} host(s) enrolled, ${count} online`;
  if (paging && paging.pages > 1) {
    const first = (paging.page - 1) * HOSTS_PAGE_SIZE + 1;
    const last = first + hosts.length - 1;
    const cmd = (page: number) => `\`/openclaw hosts ${filter ? `${filter} ` : ""}page ${page}\``;
    const next = paging.page < paging.pages ? ` Next: ${cmd(paging.page + 1)}` : ` First: ${cmd(1)}`;
    const where = `Page ${paging.page} of ${paging.pages} (hosts ${first}–${last} of ${paging.matched}).`;
    parts.push(context(`${where}${next}`));
    text += ` · page ${paging.page} of ${paging.pages}`;
  }
  return { text, parts };
}
