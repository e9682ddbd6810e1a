import { context, header } from "../messages/build.ts";
import { isoSeconds, mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentThread } from "../ports/store.ts";
import type { Turns } from "../ports/turns.ts";

/** `jobs`: only its turns (ports/turns.ts). */
type ThreadDeps = Pick<CoreDeps, "store" | "chat" | "clock" | "ids"> & { jobs: Turns };

/**
 * One incident thread per (channel, host), shared by triage, bundles, freezes and the recover
 * runbook: the stored one when there is one, else `header` posted and recorded.
 * Opens of one (channel, host) take turns in this process (ports/turns.ts), so two at the same
 * moment post one header: the second finds the first's thread. Across processes both may post,
 * and the first stored wins (`insertIncident` keeps the first per UNIQUE(channel, host)).
 */
export function openIncidentThread(
  deps: ThreadDeps,
  channel: string,
  host: string,
  /** The thread's parent message, asked for only when one is posted now. */
  header: () => Message,
): Promise<IncidentThread> {
  return deps.jobs.inTurn(`incident-thread:${channel}\u0000${host}`, () => openOnce(deps, channel, host, header));
}

async function openOnce(
  deps: ThreadDeps,
  channel: string,
  host: string,
  header: () => Message,
): Promise<IncidentThread> {
  const existing = await deps.store.findIncident(channel, host);
  if (existing) return existing;
  const parent = await deps.chat.postMessage({ channel, ...header() });
  const incident: IncidentThread = {
    id: deps.ids.id("inc"),
    channel,
    host,
    threadTs: parent.ts,
    openedAt: deps.clock.now(),
  };
  await deps.store.insertIncident(incident);
  // Another process may have opened one at the same moment: the stored one wins.
  return (await deps.store.findIncident(channel, host)) ?? incident;
}

/** The parent of a thread opened while the host has no open incident (a freeze, a bundle): the host, who opened it and when. */
export function renderIncidentHeader(host: string, user: string, at: number): Message {
  const text = `Incident: OpenClaw gateway on ${host}`;
  return {
    text,
    parts: [
      header(`🚨 ${text}`),
      context(
        `Opened by ${mention(user)} at ${isoSeconds(at)} · triage results, freezes and bundles for *${host}* go in this thread`,
      ),
    ],
  };
}
