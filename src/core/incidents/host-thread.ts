import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentThread } from "../ports/store.ts";
import { offersChannel } from "./channel-policy.ts";
import { refreshIncidentHeader, renderLiveHeader } from "./header.ts";
import { queueMirrors } from "./mirrors.ts";
import { linkThread } from "./record.ts";
import { routeIncident } from "./stages/route.ts";
import { openIncidentThread, renderIncidentHeader } from "./thread.ts";

/**
 * The host's incident thread in `channel`, opened with its header when there is none: the one
 * way anything gets a thread to post in (a triage's progress, a bundle, a freeze notice, the
 * recover runbook, a lost job's notice). The header is the host's open incident's (edited in
 * place as it changes), or a plain one when none is open; an open incident without a thread yet
 * (a command's triage opens it in its own turn) learns this one.
 */
export async function incidentThread(
  deps: CoreDeps,
  where: { channel: string; host: string; actor: string },
): Promise<IncidentThread> {
  const incident = await deps.store.findOpenIncident(where.host).catch(() => null);
  const own = incident && incident.source !== "fleet" ? incident : null;
  let posted = false;
  const thread = await openIncidentThread(deps, where.channel, where.host, () => {
    posted = true;
    return own
      ? renderLiveHeader(own, deps.clock.now(), [], [], offersChannel(deps, own))
      : renderIncidentHeader(where.host, where.actor, deps.clock.now());
  });
  if (own && !own.threadTs) {
    const linked = await linkThread(deps, own, { channel: thread.channel, threadTs: thread.threadTs }, posted);
    // A thread that was there before (a freeze's) gets this incident's header now.
    if (linked && !posted) await refreshIncidentHeader(deps, linked, { force: true });
    // Announced on its mirrors too (mirrors.ts).
    if (linked) await queueMirrors(deps, linked, { op: "root" });
  }
  return thread;
}

/** The host's incident thread in its routed channel, if one is open. */
export async function findHostIncident(deps: CoreDeps, host: string): Promise<IncidentThread | null> {
  const channel = await routeIncident(deps, host);
  return channel ? deps.store.findIncident(channel, host) : null;
}
