import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { ClawopsError, isClawopsError } from "../errors.ts";
import { section } from "../messages/build.ts";
import { mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps, IncidentChannelSettings } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";
import type { AuditEntry } from "../ports/recovery.ts";
import { channelSettings, incidentChannelName, policyWants, slackChannelName } from "./channel-policy.ts";
import { distinctSignals } from "./fired.ts";
import { fleetCause, refreshIncidentHeader, renderLiveHeader } from "./header.ts";
import { appendTimeline, requireIncident } from "./record.ts";

/**
 * An incident's own channel (issue 41, item 2; docs/incidents.md#incident-channels): made by the
 * policy, the header's *Open a channel* button or `incident <id> channel [name]`. In order:
 * the channel is created (a template name taken gets `-2` … `-9`; a name a person gave does
 * not), its people invited (the one who asked, the owner, the roles), the incident's header
 * posted there as a second live header, that recorded on the incident, and the channel linked
 * from the host thread. A step that fails archives the channel it made, so nothing is left half
 * done; either way the outcome is audited and on the timeline.
 */

/** How many names a template tries: `inc-…`, then `inc-…-2` up to this. */
const NAME_TRIES = 9;

export interface ChannelAsk {
  /** Who asked (a chat user id, `console`), or `clawops` for the policy. */
  actor: string;
  source: AuditEntry["source"];
  /** A name the person gave; absent: the template's. */
  name?: string;
}

/**
 * What is refused before any chat call, store reads only (a command's ack says it): channels
 * off, a chat that cannot make channels, an unknown, resolved or grouped incident, one that has
 * a channel already or no thread yet, a name Slack would not take.
 */
export async function checkChannelAsk(deps: CoreDeps, id: string, name?: string): Promise<Incident> {
  if (channelSettings(deps).mode === "off") {
    throw new ClawopsError(
      "not_configured",
      "Incident channels are off: set CLAWOPS_INCIDENT_CHANNEL_POLICY to `manual` or a policy such as `sev1,sev2,fleet` (docs/incidents.md#incident-channels).",
      { status: 501 },
    );
  }
  const incident = await requireIncident(deps, id);
  if (incident.state === "resolved") {
    throw new ClawopsError(
      "incident_resolved",
      `Incident \`${id}\` is resolved; a resolved incident gets no channel.`,
      {
        status: 409,
      },
    );
  }
  if (incident.ownChannel) {
    throw new ClawopsError(
      "incident_channel_exists",
      `Incident \`${id}\` has its channel already: <#${incident.ownChannel}>.`,
      { status: 409 },
    );
  }
  if (incident.parentId) {
    throw new ClawopsError(
      "bad_request",
      `Incident \`${id}\` is grouped into fleet incident \`${incident.parentId}\`: open the channel there.`,
      { status: 409 },
    );
  }
  if (!incident.channel || !incident.threadTs) {
    throw new ClawopsError(
      "bad_request",
      `Incident \`${id}\` has no thread yet to link its channel from; try again once its thread is posted.`,
      { status: 409 },
    );
  }
  if (!deps.chat.createChannel || !deps.chat.inviteToChannel || !deps.chat.archiveChannel) {
    throw new ClawopsError(
      "channels_unsupported",
      "This chat cannot create channels: incident channels are made in Slack only; this incident stays in its thread.",
      { status: 501 },
    );
  }
  if (name !== undefined && slackChannelName(name) !== name) {
    throw new ClawopsError(
      "bad_request",
      `\`${name.slice(0, 90)}\` is not a channel name Slack takes: lowercase letters, digits, - and _, at most 80 characters${slackChannelName(name) ? ` (e.g. \`${slackChannelName(name)}\`)` : ""}.`,
    );
  }
  return incident;
}

/** Makes the channel (see the top of this file). Throws a ClawopsError saying why; audited and on the timeline either way. */
export async function openIncidentChannel(deps: CoreDeps, id: string, ask: ChannelAsk): Promise<Incident> {
  try {
    const opened = await openChecked(deps, await checkChannelAsk(deps, id, ask.name), ask);
    await record(deps, opened, ask, "ok", `opened its channel #${opened.ownChannelName} (<#${opened.ownChannel}>)`);
    return opened;
  } catch (err) {
    const why = errorMessage(err);
    const known = await deps.store.getIncident(id).catch(() => null);
    if (known) await record(deps, known, ask, isClawopsError(err) ? "refused" : "error", `channel not opened: ${why}`);
    throw err;
  }
}

async function openChecked(deps: CoreDeps, incident: Incident, ask: ChannelAsk): Promise<Incident> {
  const chat = deps.chat as Required<Pick<CoreDeps["chat"], "createChannel" | "inviteToChannel" | "archiveChannel">> &
    CoreDeps["chat"];
  const settings = channelSettings(deps);
  const beside = incident.channel ?? "";
  const made = await createNamed(deps, incident, ask, settings, beside);
  // Undone from here on if a later step fails: the channel is archived, the record untouched.
  const undo = async (err: unknown): Promise<never> => {
    await chat.archiveChannel(made.channel).catch((e: unknown) =>
      deps.logger.warn("incident channel not archived after a failed open", {
        incident: incident.id,
        channel: made.channel,
        err: errorMessage(e),
      }),
    );
    throw err;
  };
  const people = peopleOf(incident, ask.actor);
  const now = deps.clock.now();
  let ts: string;
  try {
    await chat.inviteToChannel(made.channel, people);
    const fired = distinctSignals(await deps.store.listSignals({ incidentId: incident.id, limit: 2_000 }));
    const header = renderLiveHeader(incident, now, await fleetCause(deps, incident), fired);
    ts = (await chat.postMessage({ channel: made.channel, ...header })).ts;
  } catch (err) {
    return undo(err);
  }
  const stored = await deps.store.updateIncident(incident.id, ["open", "acknowledged"], {
    ownChannel: made.channel,
    ownChannelName: made.name,
    ownChannelTs: ts,
    updatedAt: now,
  });
  if (!stored) {
    return undo(
      new ClawopsError(
        "incident_resolved",
        `Incident \`${incident.id}\` was resolved meanwhile; its channel was archived.`,
        {
          status: 409,
        },
      ),
    );
  }
  // The thread stays where it began: it says where the incident went on.
  await chat
    .postMessage({ channel: beside, threadTs: incident.threadTs ?? "", ...renderChannelLink(stored, people) })
    .catch((err: unknown) =>
      deps.logger.warn("incident channel not linked from its thread", {
        incident: incident.id,
        err: errorMessage(err),
      }),
    );
  await refreshIncidentHeader(deps, stored, { force: true });
  return stored;
}

/** conversations.create with the template's name, then `-2` … `-9` while taken; a person's name once. */
async function createNamed(
  deps: CoreDeps,
  incident: Incident,
  ask: ChannelAsk,
  settings: IncidentChannelSettings,
  beside: string,
): Promise<{ channel: string; name: string }> {
  const create = deps.chat.createChannel?.bind(deps.chat);
  if (!create) throw new ClawopsError("channels_unsupported", "This chat cannot create channels.", { status: 501 });
  if (ask.name !== undefined) {
    try {
      return await create({ name: ask.name, isPrivate: settings.isPrivate, beside });
    } catch (err) {
      if (isClawopsError(err) && err.code === "channel_name_taken") {
        throw new ClawopsError(
          "channel_name_taken",
          `${err.message} Choose another: \`/openclaw incident ${incident.id} channel <name>\`.`,
          { status: 409, cause: err },
        );
      }
      throw err;
    }
  }
  const tried: string[] = [];
  for (let n = 1; n <= NAME_TRIES; n++) {
    const name =
      n === 1
        ? incidentChannelName(settings.nameTemplate, incident)
        : `${incidentChannelName(settings.nameTemplate, incident, 3)}-${n}`;
    tried.push(name);
    try {
      return await create({ name, isPrivate: settings.isPrivate, beside });
    } catch (err) {
      if (!(isClawopsError(err) && err.code === "channel_name_taken")) throw err;
    }
  }
  throw new ClawopsError(
    "channel_name_taken",
    `Slack channels #${tried[0]} to #${tried.at(-1)} exist already. Name one: \`/openclaw incident ${incident.id} channel <name>\`.`,
    { status: 409 },
  );
}

/**
 * Who is invited: the one who asked, the one who opened it (a person who declared it), the
 * owner, and the roles' people (another part of issue 41 adds `roles`; read here when a record
 * carries them), chat user ids only (not `clawops watch`, `console`), each once.
 */
export function peopleOf(incident: Incident, actor: string): string[] {
  const roles = (incident as Incident & { roles?: unknown }).roles;
  const fromRoles: unknown[] =
    roles && typeof roles === "object" ? Object.values(roles as Record<string, unknown>).flat() : [];
  const all = [actor, incident.openedBy, incident.owner, ...fromRoles];
  return [...new Set(all.filter((u): u is string => typeof u === "string" && /^[UW][A-Z0-9]{2,}$/.test(u)))];
}

/** "Incident channel: <#C…>", in the host thread. */
export function renderChannelLink(incident: Incident, invited: readonly string[]): Message {
  const text = `Incident channel: <#${incident.ownChannel}>`;
  const who = invited.length ? ` Invited: ${invited.map(mention).join(", ")}.` : "";
  return {
    text,
    parts: [section(`💬 ${text}. The incident goes on there; its header there is edited with this one.${who}`)],
  };
}

async function record(
  deps: CoreDeps,
  incident: Incident,
  ask: ChannelAsk,
  outcome: "ok" | "refused" | "error",
  text: string,
): Promise<void> {
  await appendTimeline(deps, deps.store, incident, {
    actor: ask.actor,
    kind: "channel",
    text,
    ref: incident.ownChannel ?? null,
  });
  await audit(deps, {
    at: deps.clock.now(),
    actor: ask.actor,
    source: ask.source,
    action: "incident.channel",
    host: incident.hosts[0] ?? null,
    outcome,
    detail: `${incident.id}: ${text}`.slice(0, 500),
    ref: incident.id,
  });
}

/**
 * The policy (CLAWOPS_INCIDENT_CHANNEL_POLICY): opens the channel of each incident it wants, once
 * (a claim on the incident's id, so two signals at once make one). Never throws: a failure is
 * said in the incident's thread, audited and on the timeline.
 */
export async function openChannelByPolicy(deps: CoreDeps, id: string | null | undefined): Promise<void> {
  if (!id || channelSettings(deps).mode !== "auto" || !deps.chat.createChannel) return;
  try {
    const incident = await deps.store.getIncident(id);
    if (!incident || incident.state === "resolved" || incident.ownChannel || !incident.threadTs) return;
    if (!policyWants(channelSettings(deps), incident)) return;
    const now = deps.clock.now();
    if (!(await deps.store.claim(`incident-channel:${id}`, now, now + 10 * 60_000))) return;
    await openIncidentChannel(deps, id, { actor: "clawops", source: "system" }).catch((err: unknown) =>
      tellChannelFailure(deps, incident, err),
    );
  } catch (err) {
    deps.logger.error("incident channel policy failed", { incident: id, err: errorMessage(err) });
  }
}

/** Says in the incident's thread why its channel was not opened. */
export async function tellChannelFailure(deps: CoreDeps, incident: Incident, err: unknown): Promise<void> {
  deps.logger.warn("incident channel not opened", { incident: incident.id, err: errorMessage(err) });
  if (!incident.channel || !incident.threadTs) return;
  await deps.chat
    .postMessage({
      channel: incident.channel,
      threadTs: incident.threadTs,
      ...channelNotOpened(incident, err),
    })
    .catch((e: unknown) =>
      deps.logger.warn("channel failure not told", { incident: incident.id, err: errorMessage(e) }),
    );
}

export function channelNotOpened(incident: Incident, err: unknown): Message {
  const why = isClawopsError(err) ? err.message : "clawops hit an error it logged.";
  return {
    text: `The channel of incident ${incident.id} was not opened`,
    parts: [section(`⚠️ The channel of incident \`${incident.id}\` was not opened: ${why} Nothing was left half made.`)],
  };
}

/**
 * Resolving with CLAWOPS_INCIDENT_CHANNEL_ARCHIVE: its channel is archived (after its header
 * there says resolved). Never throws: a failure is logged, audited and on the timeline.
 */
export async function archiveIncidentChannel(deps: CoreDeps, incident: Incident, actor: string): Promise<void> {
  if (!incident.ownChannel || !channelSettings(deps).archive || !deps.chat.archiveChannel) return;
  const ask: ChannelAsk = { actor, source: "system" };
  try {
    await deps.chat.archiveChannel(incident.ownChannel);
    await record(deps, incident, ask, "ok", `archived its channel #${incident.ownChannelName ?? incident.ownChannel}`);
  } catch (err) {
    deps.logger.warn("incident channel not archived", { incident: incident.id, err: errorMessage(err) });
    await record(deps, incident, ask, "error", `its channel was not archived: ${errorMessage(err)}`);
  }
}
