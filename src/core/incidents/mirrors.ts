import { errorMessage } from "../../contract/errors.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";

/**
 * Mirrors (issue 43, item 5; docs/incidents.md#mirrors-one-incident-on-several-chats): one
 * incident announced on several chats, one of them holding the buttons. Each incident whose
 * thread is in the incident channel (CLAWOPS_INCIDENT_CHANNEL, the primary) is announced in every
 * channel of CLAWOPS_INCIDENT_MIRRORS too (`discord:…`, `mattermost:…`, any chat the routed chat
 * port knows by its prefix): a thread of its own there (the header as its root post, the
 * outbox's thread posts as replies, the chat's own threading), the header edited in place as
 * the record changes, and a triage's final answer. A mirror carries no buttons: one line says
 * where they are. A triage's progress, freezes, bundles and approvals stay on the primary.
 *
 * Record first, deliver after: every mirror delivery is an outbox item (kind `mirror`), queued
 * after the primary's own post or edit and delivered by the outbox's drain (Node's sweep, the
 * Workers directory object's alarm), so a mirror that is slow, rate-limited or down never holds
 * back or repeats what the primary says. It is retried with backoff; a mirror given up (after
 * MAX_ATTEMPTS) is said once on the incident's timeline, and nothing more is sent there.
 */

/** The outbox kind of a mirror delivery. */
export const MIRROR_KIND = "mirror";

/** What one mirror delivery does: post the thread's root (the header), edit it, or post a reply. */
export type MirrorOp =
  | { op: "root" }
  | { op: "header" }
  | {
      op: "post";
      message: Message;
      what: string;
      /** What it is once per incident (a triage's result: `triage:<job id>`): queued again, it is not posted twice. */
      ref?: string;
    };

/** A mirror delivery's outbox body. */
export type MirrorDelivery = MirrorOp & { channel: string };

/** At most this many mirrors: each is a delivery per post. */
export const MAX_MIRRORS = 10;

/**
 * CLAWOPS_INCIDENT_MIRRORS: comma-separated channels, each as the chat port names it: a prefixed
 * chat's `<chat>:<id>` (`discord:1234…`, `mattermost:abc…`, whatever a routed chat adds, its ids
 * as they are: Teams' have `:`, `@` and `.`), or a Slack channel id for a primary on another
 * chat. Throws a message an operator can act on for a channel with spaces, too long, or twice.
 */
export function parseIncidentMirrors(raw: string | undefined): string[] {
  const channels = (raw ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  for (const c of channels) {
    if (!/^\S{1,200}$/.test(c)) {
      throw new Error(
        `CLAWOPS_INCIDENT_MIRRORS: \`${c.slice(0, 80)}\` is not a channel id; write each as the chat names it, comma-separated, e.g. discord:1234567890123456789,mattermost:4xp9fdt7pbgeddg6ch5ju8ijha.`,
      );
    }
  }
  if (new Set(channels).size !== channels.length) {
    throw new Error("CLAWOPS_INCIDENT_MIRRORS names a channel twice.");
  }
  if (channels.length > MAX_MIRRORS) {
    throw new Error(`CLAWOPS_INCIDENT_MIRRORS names ${channels.length} channels; at most ${MAX_MIRRORS}.`);
  }
  return channels;
}

/**
 * What ties CLAWOPS_INCIDENT_MIRRORS to the incident channel: mirrors follow the incident
 * channel's incidents, so they need one, and a mirror is another channel than it. Null: fine.
 */
export function incidentMirrorsProblem(env: {
  CLAWOPS_INCIDENT_MIRRORS?: string | undefined;
  CLAWOPS_INCIDENT_CHANNEL?: string | undefined;
}): string | null {
  let mirrors: string[];
  try {
    mirrors = parseIncidentMirrors(env.CLAWOPS_INCIDENT_MIRRORS);
  } catch {
    return null; // said by the variable's own parse
  }
  if (mirrors.length === 0) return null;
  const primary = env.CLAWOPS_INCIDENT_CHANNEL?.trim();
  if (!primary) {
    return "CLAWOPS_INCIDENT_MIRRORS mirrors the incident channel's incidents: set CLAWOPS_INCIDENT_CHANNEL (the chat that holds the buttons) too.";
  }
  if (mirrors.includes(primary)) {
    return `CLAWOPS_INCIDENT_MIRRORS names the incident channel itself (${primary}); list only channels on the other chats.`;
  }
  return null;
}

/** The mirrors of `incident`: those configured when its thread is in the primary channel, else none. */
export function mirrorsOf(deps: Pick<CoreDeps, "incidents">, incident: Pick<Incident, "channel">): string[] {
  const primary = deps.incidents?.defaultChannel;
  const mirrors = deps.incidents?.mirrors ?? [];
  if (!primary || mirrors.length === 0 || incident.channel !== primary) return [];
  return mirrors.filter((m) => m !== primary);
}

const keyOf = (incidentId: string, channel: string, rest: string) => `${MIRROR_KIND}:${incidentId}:${channel}:${rest}`;

/**
 * Queues `what` for each of the incident's mirrors, the mirror's root first (once per incident
 * and mirror: its key). A header edit while one is still queued for that mirror is left to it
 * (each renders the record as it is when delivered). Never throws: a mirror never stops the primary.
 */
export async function queueMirrors(
  deps: Pick<CoreDeps, "store" | "clock" | "ids" | "logger" | "incidents">,
  incident: Incident,
  what: MirrorOp,
): Promise<void> {
  const mirrors = mirrorsOf(deps, incident);
  if (mirrors.length === 0) return;
  try {
    const now = deps.clock.now();
    const pending =
      what.op === "header"
        ? await deps.store.listOutbox({ incidentId: incident.id, state: "pending", limit: 500 })
        : [];
    const given = new Set(
      (await deps.store.incidentMirrors(incident.id)).filter((m) => m.givenUpAt !== null).map((m) => m.channel),
    );
    for (const channel of mirrors) {
      if (given.has(channel)) continue;
      const queue = async (key: string, op: MirrorOp) => {
        const body: MirrorDelivery = { ...op, channel };
        return deps.store.enqueueOutbox({
          id: deps.ids.id("out"),
          key,
          kind: MIRROR_KIND,
          incidentId: incident.id,
          body: JSON.stringify(body),
          nextAt: now,
          createdAt: now,
        });
      };
      const rootNow = await queue(keyOf(incident.id, channel, "root"), { op: "root" });
      if (what.op === "root") continue;
      if (what.op === "header") {
        // The root posted from now on shows the header as it is then: no edit needed.
        if (rootNow) continue;
        const headerKey = keyOf(incident.id, channel, "header:");
        if (pending.some((i) => i.kind === MIRROR_KIND && i.key.startsWith(headerKey))) continue;
        await queue(`${headerKey}${deps.ids.id("edit")}`, what);
        continue;
      }
      await queue(keyOf(incident.id, channel, `post:${what.ref ?? deps.ids.id("post")}`), what);
    }
  } catch (err) {
    deps.logger.error("incident mirrors not queued", { incident: incident.id, err: errorMessage(err) });
  }
}

/**
 * A post in the host's incident thread that did not go through the outbox (a triage's final
 * result), mirrored: queued for the mirrors of the host's open incident when that incident's
 * thread is in `channel`. Never throws.
 */
export async function mirrorHostPost(
  deps: Pick<CoreDeps, "store" | "clock" | "ids" | "logger" | "incidents">,
  where: { host: string; channel: string },
  post: { message: Message; what: string; ref: string },
): Promise<void> {
  if (mirrorsOf(deps, { channel: where.channel }).length === 0) return;
  const incident = await deps.store.findOpenIncident(where.host).catch(() => null);
  if (incident?.channel !== where.channel) return;
  await queueMirrors(deps, incident, { op: "post", ...post });
}
